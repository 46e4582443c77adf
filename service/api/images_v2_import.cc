// PUT /v2/images/{id}/stage and POST /v2/images/{id}/import (spec 1.5.10), with
// Glance's validation order and messages. See imports.h.
#include <boost/json.hpp>

#include <algorithm>

#include "common/log.h"
#include "common/uuid.h"
#include "service/api/handler_util.h"
#include "service/api/images_v2.h"
#include "service/api/import_request.h"
#include "service/api/imports.h"
#include "service/api/task_runner.h"
#include "service/api/upload.h"
#include "service/store/store_set.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

bool MethodEnabled(const ServiceContext& ctx, std::string_view method) {
  const auto& m = ctx.config.import_methods;
  return std::find(m.begin(), m.end(), method) != m.end();
}

// queued -> uploading, or back to queued (size cleared) when `back` is set.
Status MoveStaging(ServiceContext& ctx, const std::string& id, bool back,
                   std::optional<int64_t> size = std::nullopt) {
  int64_t now = ctx.clock.WallMicros();
  return ctx.catalog
      .UpdateImage(id,
                   [&](wire::Image& img) -> Status {
                     if (back) {
                       if (img.status != wire::ImageStatus::kUploading) return Status::Ok();
                       img.status = wire::ImageStatus::kQueued;
                       img.size.reset();
                     } else if (size) {
                       if (img.status != wire::ImageStatus::kUploading) {
                         return FailedPrecondition("Image " + id + " was deleted during the upload.");
                       }
                       img.size = size;
                     } else {
                       IMAGEFS_RETURN_IF_ERROR(CheckTransition(img, wire::ImageStatus::kUploading));
                       img.status = wire::ImageStatus::kUploading;
                     }
                     img.updated_at = now;
                     return Status::Ok();
                   })
      .status();
}

Result<http::Response> StageImage(ServiceContext& ctx, http::Request& req) {
  if (!MethodEnabled(ctx, kGlanceDirect) || ctx.staging == nullptr) {
    return NotFound("The resource could not be found.");
  }
  std::string_view type = req.Header("Content-Type").value_or("");
  if (type.substr(0, type.find(';')) != "application/octet-stream") {
    return UnsupportedMedia("The request media type " +
                            (type.empty() ? std::string("None") : std::string(type)) +
                            " is not supported by this server.");
  }
  UploadOptions options;
  options.check_format = false;  // staged bytes are checked when they are imported
  IMAGEFS_ASSIGN_OR_RETURN(options.declared_size, DeclaredSize(req));
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, LoadWritableImage(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "modify_image"));
  IMAGEFS_RETURN_IF_ERROR(MoveStaging(ctx, id, false));
  ctx.staging->Remove(id).IgnoreError();  // what an earlier, failed import left
  ReadFn read = [&req](void* buf, size_t n) { return req.body->Read(buf, n); };
  Result<StoredData> staged = StoreData(*ctx.staging, image, read, options);
  if (staged.ok()) {
    Status sized = MoveStaging(ctx, id, false, static_cast<int64_t>(staged->upload.size));
    if (sized.ok()) return http::Response::Empty(204);
    ctx.staging->Remove(id).IgnoreError();
    return sized;
  }
  MoveStaging(ctx, id, true).IgnoreError();
  return staged.status();
}

}  // namespace

wire::Task NewImportTask(const ServiceContext& ctx, const http::Request& req,
                         const std::string& image_id, const json::value& import_req,
                         const std::vector<std::string>& stores) {
  wire::Task task;
  task.id = NewUuid();
  task.type = "api_image_import";
  task.status = wire::TaskStatus::kProcessing;
  task.owner = req.identity.project;
  task.user_id = req.identity.user;
  task.request_id = req.request_id;
  task.image_id = image_id;
  json::array backend;
  for (const auto& s : stores) backend.emplace_back(s);
  task.input_json = json::serialize(json::object{
      {"image_id", image_id}, {"import_req", import_req}, {"backend", std::move(backend)}});
  task.created_at = task.updated_at = ctx.clock.WallMicros();
  return task;
}

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

Result<http::Response> ImportImage(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(ImportRequest request, ParseImportRequest(ctx, req, body, id));
  if (request.stores.empty()) return http::Response::Empty(202);  // copy: nothing left to do
  if (ctx.tasks == nullptr) return Unavailable("imaged runs no background tasks");
  wire::Task task = NewImportTask(ctx, req, id, request.body, request.stores);
  IMAGEFS_RETURN_IF_ERROR(BeginImport(ctx, id, request.method, request.stores,
                                      request.stale_lock, task));
  ImportPlan plan = ToPlan(request, req, id, task.id);
  Status queued = ctx.tasks->Submit([&ctx, plan](std::stop_token) { RunImport(ctx, plan); });
  if (!queued.ok()) {
    FinishTask(ctx, task.id, queued.message());
    return queued;
  }
  IMAGEFS_LOG(INFO, "image {}: {} import to {} accepted (task {})", id, request.method,
              Join(request.stores), task.id);
  return http::Response::Empty(202);
}

}  // namespace

Status BeginImport(ServiceContext& ctx, const std::string& image_id, const std::string& method,
                   const std::vector<std::string>& stores, const std::string& stale_lock,
                   const wire::Task& task) {
  int64_t now = ctx.clock.WallMicros();
  auto begin = [&](wire::Image& img) -> Status {
    auto lock = img.properties.find("os_glance_import_task");
    if (lock != img.properties.end() && !lock->second.empty() && lock->second != stale_lock) {
      return FailedPrecondition("New operation on image '" + image_id +
                                "' is not permitted as prior operation is still in progress");
    }
    if (method != kCopyImage) {
      IMAGEFS_RETURN_IF_ERROR(CheckTransition(img, wire::ImageStatus::kImporting));
      img.status = wire::ImageStatus::kImporting;
    }
    img.properties["os_glance_import_task"] = task.id;
    img.properties["os_glance_importing_to_stores"] = Join(stores);
    img.properties["os_glance_failed_import"] = "";
    img.updated_at = now;
    return Status::Ok();
  };
  return ctx.catalog.UpdateImageWithTask(image_id, begin, task).status();
}

void AddImportRoutes(http::Router& router, ServiceContext& ctx) {
  http::RouteOptions stage;
  stage.name = "PUT /v2/images/{image_id}/stage";
  router.Add("PUT", "/v2/images/{image_id}/stage",
             [&ctx](http::Request& req) { return StageImage(ctx, req); }, stage);
  http::RouteOptions import;
  import.name = "POST /v2/images/{image_id}/import";
  router.Add("POST", "/v2/images/{image_id}/import",
             [&ctx](http::Request& req) { return ImportImage(ctx, req); }, import);
}

}  // namespace imagefs::service::api
