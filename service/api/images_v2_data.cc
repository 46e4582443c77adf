// Image data: PUT/GET /v2/images/{id}/file and the block-map extension
// GET /v2/images/{id}/blocks (spec 1.5.9; docs/api.md).
//
// The upload itself (and its durability rules) is service/api/upload.h.
#include <boost/json.hpp>


#include "common/log.h"
#include "service/api/handler_util.h"
#include "service/api/images_v2.h"
#include "service/api/range.h"
#include "service/api/upload.h"
#include "service/http/error_mapping.h"
#include "service/store/http_store.h"
#include "service/store/store_set.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

Status CheckUploadHeaders(const http::Request& req) {
  std::string_view type = req.Header("Content-Type").value_or("");
  if (type.substr(0, type.find(';')) != "application/octet-stream") {
    return UnsupportedMedia("The request media type " +
                            (type.empty() ? std::string("None") : std::string(type)) +
                            " is not supported by this server.");
  }
  return Status::Ok();
}

// The store X-Image-Meta-Store names (null without the header: the default store).
Result<ImageStore*> TargetStore(ServiceContext& ctx, const http::Request& req) {
  auto name = req.Header("X-Image-Meta-Store");
  if (!name) return static_cast<ImageStore*>(nullptr);
  ImageStore* store = ctx.stores != nullptr ? ctx.stores->Get(*name)
                      : *name == ctx.store.id() ? &ctx.store
                                                : nullptr;
  if (store == nullptr) {
    return InvalidArgument("Store for identifier " + std::string(*name) + " not found");
  }
  return store;
}

Status CheckReadable(const Identity& caller, const wire::Image& image) {
  if (image.status == wire::ImageStatus::kDeactivated && !caller.is_admin) {
    return PermissionDenied(
        "The requested image has been deactivated. Image data download is forbidden.");
  }
  return Status::Ok();
}

bool HasData(const wire::Image& image) {
  return (image.status == wire::ImageStatus::kActive ||
          image.status == wire::ImageStatus::kDeactivated) &&
         image.size.has_value();
}

}  // namespace

// The image's bytes: from the stores holding them, else from its first http location.
Result<std::unique_ptr<RangeReader>> OpenData(ServiceContext& ctx, const wire::Image& image) {
  Result<std::unique_ptr<RangeReader>> local = ctx.store.Open(image.id);
  if (local.ok() || local.status().code() != StatusCode::kNotFound || ctx.http_store == nullptr) {
    return local;
  }
  for (const wire::Location& loc : image.locations) {
    if (loc.url.rfind("http://", 0) == 0) {
      return ctx.http_store->Open(loc.url, static_cast<uint64_t>(image.size.value_or(0)));
    }
  }
  return local;
}

Result<http::Response> UploadData(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(CheckUploadHeaders(req));
  UploadOptions options;
  IMAGEFS_ASSIGN_OR_RETURN(options.target, TargetStore(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(options.declared_size, DeclaredSize(req));
  const std::string& id = req.path_params[0];
  IMAGEFS_RETURN_IF_ERROR(LoadWritableImage(ctx, req.identity, id).status());
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "upload_image"));
  Result<wire::Image> uploaded = RunUpload(ctx, req, id, options);
  if (!uploaded.ok()) {
    if (IsDeletedDuringUpload(uploaded.status())) {
      return http::ErrorResponse(410, uploaded.status().message());
    }
    return uploaded.status();
  }
  return http::Response::Empty(204);
}

Result<http::Response> DownloadData(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, LoadVisibleImage(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(CheckReadable(req.identity, image));
  if (!HasData(image)) return http::Response::Empty(204);
  Result<std::unique_ptr<RangeReader>> opened = OpenData(ctx, image);
  if (!opened.ok()) {
    IMAGEFS_LOG(ERROR, "image {} is {} but its data cannot be opened: {}", id,
                wire::ToString(image.status), opened.status().ToString());
    return Unavailable("The image data is not available.");
  }
  // A request Content-Range (Glance's legacy form) counts only without a Range.
  std::optional<RangeRequest> range;
  if (auto range_header = req.Header("Range")) {
    range = RangeRequest{*range_header, false};
  } else if (auto legacy_header = req.Header("Content-Range")) {
    range = RangeRequest{*legacy_header, true};
  }
  std::optional<std::string_view> md5;
  if (image.checksum) md5 = *image.checksum;
  return RangedFileResponse(std::move(*opened), range, md5, http::ErrorStyle::kGlance);
}

Result<http::Response> ShowBlockMap(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, LoadVisibleImage(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(CheckReadable(req.identity, image));
  if (!HasData(image)) return NotFound("Image " + id + " has no data.");
  IMAGEFS_ASSIGN_OR_RETURN(wire::BlockMap map, ctx.catalog.GetBlockMap(id));
  return JsonResponse(200, wire::ToJson(map));
}

}  // namespace imagefs::service::api
