// The route table of the Images API v2 image calls (spec 1.5).
#include "service/api/images_v2.h"
#include "service/api/routes.h"

namespace imagefs::service::api {
namespace {

using Fn = Result<http::Response> (*)(ServiceContext&, http::Request&);

void Add(http::Router& router, ServiceContext& ctx, std::string_view method,
         std::string_view pattern, Fn fn, bool reject_body) {
  http::RouteOptions o;
  o.reject_body = reject_body;
  o.name = std::string(method) + " " + std::string(pattern);
  router.Add(method, pattern, [&ctx, fn](http::Request& req) { return fn(ctx, req); }, o);
}

}  // namespace

void AddImageRoutes(http::Router& router, ServiceContext& ctx) {
  Add(router, ctx, "POST", "/v2/images", CreateImage, false);
  Add(router, ctx, "GET", "/v2/images", ListImages, true);
  Add(router, ctx, "GET", "/v2/images/{image_id}", ShowImage, true);
  Add(router, ctx, "PATCH", "/v2/images/{image_id}", PatchImage, false);
  Add(router, ctx, "DELETE", "/v2/images/{image_id}", DeleteImage, true);
  Add(router, ctx, "PUT", "/v2/images/{image_id}/tags/{tag}", AddTag, true);
  Add(router, ctx, "DELETE", "/v2/images/{image_id}/tags/{tag}", RemoveTag, true);
  Add(router, ctx, "POST", "/v2/images/{image_id}/actions/deactivate", Deactivate, true);
  Add(router, ctx, "POST", "/v2/images/{image_id}/actions/reactivate", Reactivate, true);
}

void AddImageDataRoutes(http::Router& router, ServiceContext& ctx) {
  Add(router, ctx, "PUT", "/v2/images/{image_id}/file", UploadData, false);
  Add(router, ctx, "GET", "/v2/images/{image_id}/file", DownloadData, true);
  Add(router, ctx, "GET", "/v2/images/{image_id}/blocks", ShowBlockMap, true);
}

}  // namespace imagefs::service::api
