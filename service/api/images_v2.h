// Handlers of the Images API v2 image calls. Each takes the context and the request
// and returns a response or a Status (rendered by ImagedApp).
#pragma once

#include <memory>

#include "common/result.h"
#include "service/api/context.h"
#include "service/http/message.h"

namespace imagefs::service::api {

Result<http::Response> CreateImage(ServiceContext& ctx, http::Request& req);   // POST /v2/images
Result<http::Response> ListImages(ServiceContext& ctx, http::Request& req);    // GET /v2/images
Result<http::Response> ShowImage(ServiceContext& ctx, http::Request& req);     // GET /v2/images/{id}
Result<http::Response> PatchImage(ServiceContext& ctx, http::Request& req);    // PATCH /v2/images/{id}
Result<http::Response> DeleteImage(ServiceContext& ctx, http::Request& req);   // DELETE /v2/images/{id}
Result<http::Response> AddTag(ServiceContext& ctx, http::Request& req);        // PUT .../tags/{tag}
Result<http::Response> RemoveTag(ServiceContext& ctx, http::Request& req);     // DELETE .../tags/{tag}
Result<http::Response> Deactivate(ServiceContext& ctx, http::Request& req);    // POST .../actions/deactivate
Result<http::Response> Reactivate(ServiceContext& ctx, http::Request& req);    // POST .../actions/reactivate

// The image's bytes: from the stores holding them, else from its first http
// location (images_v2_data.cc; the v1 download uses it too).
Result<std::unique_ptr<RangeReader>> OpenData(ServiceContext& ctx, const wire::Image& image);

Result<http::Response> UploadData(ServiceContext& ctx, http::Request& req);    // PUT .../file
Result<http::Response> DownloadData(ServiceContext& ctx, http::Request& req);  // GET .../file
Result<http::Response> ShowBlockMap(ServiceContext& ctx, http::Request& req);  // GET .../blocks

// Mutations need role member (or admin): PermissionDenied otherwise.
Status RequireMemberRole(const Identity& caller, std::string_view action);

// Sets `tags` on `image` as a set (first occurrence kept), enforcing the tag quota (413).
Status SetTags(const ServiceConfig& config, const std::vector<std::string>& tags,
               wire::Image& image);

}  // namespace imagefs::service::api
