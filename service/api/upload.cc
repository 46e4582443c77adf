#include "service/api/upload.h"

#include <algorithm>
#include <charconv>

#include "common/digest.h"
#include "common/log.h"
#include "service/api/handler_util.h"
#include "service/formats/format_inspector.h"
#include "service/store/store_set.h"

namespace imagefs::service::api {
namespace {

constexpr size_t kUploadChunk = 1 << 20;
constexpr std::string_view kDeletedDuringUpload = " was deleted during the upload.";

// Puts a saving image back to queued (v2) or killed (v1); size and virtual_size are
// cleared. Best effort: the image may have been deleted meanwhile.
void Abandon(ServiceContext& ctx, const std::string& id, bool kill) {
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Image> r = ctx.catalog.UpdateImage(id, [now, kill](wire::Image& img) -> Status {
    if (img.status != wire::ImageStatus::kSaving) return Status::Ok();
    img.status = kill ? wire::ImageStatus::kKilled : wire::ImageStatus::kQueued;
    img.size.reset();
    img.virtual_size.reset();
    img.updated_at = now;
    return Status::Ok();
  });
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    IMAGEFS_LOG(ERROR, "image {}: could not leave saving: {}", id, r.status().ToString());
  }
}

class SavingGuard {
 public:
  SavingGuard(ServiceContext& ctx, std::string id, bool kill)
      : ctx_(ctx), id_(std::move(id)), kill_(kill) {}
  ~SavingGuard() {
    if (armed_) Abandon(ctx_, id_, kill_);
  }
  SavingGuard(const SavingGuard&) = delete;
  SavingGuard& operator=(const SavingGuard&) = delete;
  void Disarm() { armed_ = false; }

 private:
  ServiceContext& ctx_;
  std::string id_;
  bool kill_;
  bool armed_ = true;
};

Result<wire::Image> StartSaving(ServiceContext& ctx, const std::string& id) {
  int64_t now = ctx.clock.WallMicros();
  return ctx.catalog.UpdateImage(id, [now](wire::Image& img) -> Status {
    if (img.status == wire::ImageStatus::kQueued && (!img.disk_format || !img.container_format)) {
      std::string missing = !img.disk_format && !img.container_format
                                ? "Properties disk_format, container_format"
                            : !img.disk_format ? "Property disk_format"
                                               : "Property container_format";
      return InvalidArgument(missing + " must be set prior to saving data.");
    }
    IMAGEFS_RETURN_IF_ERROR(CheckTransition(img, wire::ImageStatus::kSaving));
    img.status = wire::ImageStatus::kSaving;
    img.updated_at = now;
    return Status::Ok();
  });
}

Result<UploadResult> StreamBody(const ReadFn& read, UploadWriter& writer) {
  std::unique_ptr<char[]> buf(new char[kUploadChunk]);
  while (true) {
    IMAGEFS_ASSIGN_OR_RETURN(size_t n, read(buf.get(), kUploadChunk));
    if (n == 0) break;
    IMAGEFS_RETURN_IF_ERROR(writer.Append(buf.get(), n));
  }
  return writer.Finish();
}

Status CheckAnnounced(const UploadOptions& options, const UploadResult& up) {
  if (options.declared_size && *options.declared_size != up.size) {
    return InvalidArgument("Image size mismatch: " + std::to_string(*options.declared_size) +
                           " bytes were announced, the body had " + std::to_string(up.size));
  }
  if (options.expected_md5 && *options.expected_md5 != up.md5_hex) {
    return InvalidArgument("Supplied checksum (" + *options.expected_md5 +
                           ") and checksum generated from uploaded image (" + up.md5_hex +
                           ") did not match.");
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<uint64_t>> DeclaredSize(const http::Request& req) {
  auto h = req.Header("x-openstack-image-size");
  if (!h) return std::optional<uint64_t>();
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
  if (ec != std::errc() || p != h->data() + h->size()) {
    return InvalidArgument("x-openstack-image-size must be a non-negative integer");
  }
  return std::optional<uint64_t>(v);
}

Result<StoredData> StoreData(ImageStore& store, const wire::Image& image, const ReadFn& read,
                             const UploadOptions& options) {
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<UploadWriter> writer, store.BeginUpload(image.id));
  StoredData data;
  IMAGEFS_ASSIGN_OR_RETURN(data.upload, StreamBody(read, *writer));
  IMAGEFS_RETURN_IF_ERROR(CheckAnnounced(options, data.upload));
  if (options.check_format) {
    IMAGEFS_ASSIGN_OR_RETURN(data.virtual_size,
                             CheckUpload(image.disk_format.value_or(""),
                                         image.container_format.value_or(""), writer->Data()));
  }
  if (data.upload.size == 0) data.virtual_size.reset();
  IMAGEFS_RETURN_IF_ERROR(writer->Commit());
  return data;
}

void AddStoreTo(ServiceContext& ctx, wire::Image& img, const std::string& store_id) {
  if (std::find(img.stores.begin(), img.stores.end(), store_id) == img.stores.end()) {
    img.stores.push_back(store_id);
    std::sort(img.stores.begin(), img.stores.end());
  }
  ImageStore* store = ctx.stores != nullptr ? ctx.stores->Get(store_id) : &ctx.store;
  if (store == nullptr) return;
  wire::Location loc{store->LocationOf(img.id), {{"store", store_id}}};
  if (std::find(img.locations.begin(), img.locations.end(), loc) == img.locations.end()) {
    img.locations.push_back(std::move(loc));
  }
}

Result<wire::Image> ActivateStored(ServiceContext& ctx, const std::string& id,
                                   const StoredData& data, wire::ImageStatus expected,
                                   const std::string& store_id,
                                   const std::function<void(wire::Image&)>& extra) {
  const UploadResult& up = data.upload;
  wire::BlockMap map;
  map.image_id = id;
  map.content_key = up.sha512_hex;
  map.size = up.size;
  map.block_size = up.block_size;
  map.digests = up.block_digests;
  map.crc32c = up.block_crc32c;
  int64_t now = ctx.clock.WallMicros();
  return ctx.catalog.UpdateImageWithBlockMap(
      id,
      [&](wire::Image& img) -> Status {
        if (img.status != expected) {
          return FailedPrecondition("Image " + img.id + std::string(kDeletedDuringUpload));
        }
        img.status = wire::ImageStatus::kActive;
        img.size = static_cast<int64_t>(up.size);
        img.virtual_size = data.virtual_size;
        img.checksum = up.md5_hex;
        img.os_hash_algo = "sha512";
        img.os_hash_value = up.sha512_hex;
        img.block_size = up.block_size;
        img.stores.clear();
        img.locations.clear();
        AddStoreTo(ctx, img, store_id);
        if (extra) extra(img);
        img.updated_at = now;
        return Status::Ok();
      },
      map);
}

Result<wire::Image> RunUpload(ServiceContext& ctx, http::Request& req, const std::string& id,
                              const UploadOptions& options) {
  std::optional<uint64_t> length = req.body->content_length();
  if (length && *length > ctx.config.image_size_cap) {
    return ResourceExhausted("Image exceeds the size limit: " + std::to_string(*length) +
                             " bytes is over " + std::to_string(ctx.config.image_size_cap) + ".");
  }
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, StartSaving(ctx, id));
  SavingGuard guard(ctx, id, options.kill_on_failure);
  ImageStore& store = options.target != nullptr ? *options.target : ctx.store;
  ReadFn read = [&req](void* buf, size_t n) { return req.body->Read(buf, n); };
  IMAGEFS_ASSIGN_OR_RETURN(StoredData data, StoreData(store, image, read, options));
  Result<wire::Image> active =
      ActivateStored(ctx, id, data, wire::ImageStatus::kSaving, store.id());
  if (!active.ok()) {
    store.Remove(id).IgnoreError();
    return active.status();
  }
  guard.Disarm();
  return active;
}

bool IsDeletedDuringUpload(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find(kDeletedDuringUpload) != std::string::npos;
}

}  // namespace imagefs::service::api
