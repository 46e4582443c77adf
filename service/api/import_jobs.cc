// The background half of an image import (imports.h): fetch the bytes, store
// them in each target store, activate, and record the outcome.
#include <boost/json.hpp>

#include <algorithm>

#include "common/log.h"
#include "service/api/import_source.h"
#include "service/api/imports.h"
#include "service/api/upload.h"
#include "service/store/store_set.h"

namespace imagefs::service::api {
namespace {

using wire::ImageStatus;

constexpr std::string_view kImportingTo = "os_glance_importing_to_stores";
constexpr std::string_view kFailedImport = "os_glance_failed_import";
constexpr std::string_view kImportTask = "os_glance_import_task";

// Removes `item` from, or appends it to, the comma-separated property `key`.
void EditList(wire::Image& img, std::string_view key, const std::string& item, bool add) {
  std::vector<std::string> items;
  std::string_view list = img.properties[std::string(key)];
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string piece(list.substr(0, comma));
    if (!piece.empty() && piece != item) items.push_back(std::move(piece));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  if (add) items.push_back(item);
  std::string joined;
  for (const auto& i : items) joined += (joined.empty() ? "" : ",") + i;
  img.properties[std::string(key)] = joined;
}

ImageStore* StoreById(ServiceContext& ctx, const std::string& id) {
  if (ctx.stores != nullptr) return ctx.stores->Get(id);
  return id == ctx.store.id() ? &ctx.store : nullptr;
}

// The first store: the source's bytes become the image's data.
Status ImportFirst(ServiceContext& ctx, const ImportPlan& plan, ImageStore& target) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, ctx.catalog.GetImage(plan.image_id));
  if (image.status != ImageStatus::kImporting) {
    return FailedPrecondition("image " + plan.image_id + " is no longer importing");
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<ImportSource> source, OpenImportSource(ctx, plan, image));
  source->Adjust(image);  // glance-download: the remote's formats decide the format check
  UploadOptions options;
  ReadFn read = [&source](void* buf, size_t n) { return source->Read(buf, n); };
  IMAGEFS_ASSIGN_OR_RETURN(StoredData data, StoreData(target, image, read, options));
  Result<wire::Image> active = ActivateStored(
      ctx, plan.image_id, data, ImageStatus::kImporting, target.id(), [&](wire::Image& img) {
        source->Adjust(img);
        EditList(img, kImportingTo, target.id(), false);
      });
  if (!active.ok()) {
    target.Remove(plan.image_id).IgnoreError();
    return active.status();
  }
  if (plan.method == kGlanceDirect && ctx.staging != nullptr) {
    ctx.staging->Remove(plan.image_id).IgnoreError();
  }
  return Status::Ok();
}

// A further store: a copy of the bytes the image already has.
Status CopyTo(ServiceContext& ctx, const ImportPlan& plan, ImageStore& target) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, ctx.catalog.GetImage(plan.image_id));
  if (image.status != ImageStatus::kActive) {
    return FailedPrecondition("image " + plan.image_id + " is not active");
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> reader, ctx.store.Open(plan.image_id));
  uint64_t offset = 0;
  ReadFn read = [&](void* buf, size_t n) -> Result<size_t> {
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, reader->ReadAt(offset, buf, n));
    offset += got;
    return got;
  };
  UploadOptions options;
  options.check_format = false;
  options.expected_md5 = image.checksum;
  IMAGEFS_RETURN_IF_ERROR(StoreData(target, image, read, options).status());
  Result<wire::Image> done = ctx.catalog.UpdateImage(plan.image_id, [&](wire::Image& img) {
    if (img.status != ImageStatus::kActive) return FailedPrecondition("image left active");
    AddStoreTo(ctx, img, target.id());
    EditList(img, kImportingTo, target.id(), false);
    img.updated_at = ctx.clock.WallMicros();
    return Status::Ok();
  });
  if (!done.ok()) target.Remove(plan.image_id).IgnoreError();
  return done.status();
}

void MarkFailed(ServiceContext& ctx, const ImportPlan& plan, const std::string& store) {
  ctx.catalog
      .UpdateImage(plan.image_id,
                   [&](wire::Image& img) {
                     EditList(img, kImportingTo, store, false);
                     EditList(img, kFailedImport, store, true);
                     return Status::Ok();
                   })
      .status()
      .IgnoreError();  // the image may be gone
}

// Imports into every target store; OK when the image ends with data (and, with
// all_stores_must_succeed, in every store).
Status ImportAll(ServiceContext& ctx, const ImportPlan& plan) {
  bool has_data = plan.method == kCopyImage;
  Status first_error;
  for (const std::string& store_id : plan.stores) {
    ImageStore* target = StoreById(ctx, store_id);
    Status s = target == nullptr ? NotFound("no store " + store_id)
               : has_data        ? CopyTo(ctx, plan, *target)
                                 : ImportFirst(ctx, plan, *target);
    if (s.ok()) {
      has_data = true;
      continue;
    }
    IMAGEFS_LOG(WARN, "image {}: {} to store {} failed: {}", plan.image_id, plan.method, store_id,
                s.ToString());
    MarkFailed(ctx, plan, store_id);
    if (first_error.ok()) first_error = s;
    if (!has_data || plan.all_stores_must_succeed) return first_error;
  }
  return has_data ? Status::Ok() : first_error;
}

// Releases the lock; a failed import returns the image to queued.
void ReleaseImage(ServiceContext& ctx, const ImportPlan& plan, bool failed) {
  int64_t now = ctx.clock.WallMicros();
  ctx.catalog
      .UpdateImage(plan.image_id,
                   [&](wire::Image& img) {
                     auto lock = img.properties.find(std::string(kImportTask));
                     if (lock != img.properties.end() && lock->second == plan.task_id) {
                       img.properties.erase(lock);
                     }
                     img.properties[std::string(kImportingTo)] = "";
                     if (failed && (img.status == ImageStatus::kImporting ||
                                    img.status == ImageStatus::kUploading)) {
                       img.status = ImageStatus::kQueued;
                       img.size.reset();
                       img.virtual_size.reset();
                     }
                     img.updated_at = now;
                     return Status::Ok();
                   })
      .status()
      .IgnoreError();
}

}  // namespace

void FinishTask(ServiceContext& ctx, const std::string& task_id, const std::string& failure,
                const std::string& result_json) {
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Task> r = ctx.catalog.UpdateTask(task_id, [&](wire::Task& t) {
    t.status = failure.empty() ? wire::TaskStatus::kSuccess : wire::TaskStatus::kFailure;
    t.message = failure;
    t.result_json = result_json;
    t.updated_at = now;
    t.expires_at = now + ctx.config.task_time_to_live_micros;
    return Status::Ok();
  });
  if (!r.ok()) IMAGEFS_LOG(ERROR, "task {} could not be finished: {}", task_id, r.status().ToString());
}

void RunImport(ServiceContext& ctx, const ImportPlan& plan) {
  Status s = ImportAll(ctx, plan);
  if (!s.ok() && plan.method == kGlanceDirect && ctx.staging != nullptr) {
    ctx.staging->Remove(plan.image_id).IgnoreError();
  }
  ReleaseImage(ctx, plan, !s.ok());
  FinishTask(ctx, plan.task_id, s.ok() ? "" : s.message(), s.ok() ? plan.success_result_json : "");
  IMAGEFS_LOG(INFO, "image {}: {} import {} (task {}){}", plan.image_id, plan.method,
              s.ok() ? "done" : "failed", plan.task_id, s.ok() ? "" : ": " + s.message());
}

Status RecoverImports(Catalog& catalog, Clock& clock) {
  int64_t now = clock.WallMicros();
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Task> tasks, catalog.ListTasks());
  for (const wire::Task& t : tasks) {
    if (t.finished()) continue;
    IMAGEFS_RETURN_IF_ERROR(catalog
                                .UpdateTask(t.id,
                                            [&](wire::Task& task) {
                                              task.status = wire::TaskStatus::kFailure;
                                              task.message = "imaged stopped before the task finished";
                                              task.updated_at = now;
                                              task.expires_at = now + int64_t{48} * 3600 * 1000000;
                                              return Status::Ok();
                                            })
                                .status());
    IMAGEFS_LOG(WARN, "recovery: task {} was unfinished when imaged stopped; it failed", t.id);
  }
  std::vector<std::string> importing;
  catalog.ForEachImage([&](const wire::Image& img) {
    if (img.status == ImageStatus::kImporting) importing.push_back(img.id);
  });
  for (const auto& id : importing) {
    IMAGEFS_RETURN_IF_ERROR(catalog
                                .UpdateImage(id,
                                             [&](wire::Image& img) {
                                               if (img.status != ImageStatus::kImporting) return Status::Ok();
                                               img.status = ImageStatus::kQueued;
                                               img.size.reset();
                                               img.virtual_size.reset();
                                               img.properties.erase(std::string(kImportTask));
                                               img.properties[std::string(kImportingTo)] = "";
                                               img.updated_at = now;
                                               return Status::Ok();
                                             })
                                .status());
    IMAGEFS_LOG(WARN, "recovery: image {} was importing when imaged stopped; it is queued", id);
  }
  return Status::Ok();
}

}  // namespace imagefs::service::api
