// GET /v2/images and GET /v2/images/{id}.
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/images_v2.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

// /v2/images plus the request's query without `marker`; with `marker` appended when
// given (the next link).
std::string ListLink(const http::Request& req, const std::string* marker) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& kv : req.query) {
    if (kv.first != "marker") pairs.push_back(kv);
  }
  if (marker != nullptr) pairs.emplace_back("marker", *marker);
  std::string q = EncodeQuery(pairs);
  return q.empty() ? std::string("/v2/images") : "/v2/images?" + q;
}

}  // namespace

Result<http::Response> ListImages(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(ListQuery query,
                           ParseV2ListQuery(req.query, req.identity, ctx.config.list_limits));
  IMAGEFS_ASSIGN_OR_RETURN(ListPage page, ctx.catalog.ListImages(query));
  // Rendered by hand around the per-image serializer: a page of 1,000 images is the
  // mount's bread and butter, so no intermediate DOM of the whole page.
  wire::RenderOptions opts = RenderOptionsOf(ctx);
  std::string body = "{\"images\":[";
  for (size_t i = 0; i < page.images.size(); ++i) {
    if (i > 0) body.push_back(',');
    body += wire::SerializeV2Image(page.images[i], opts);
  }
  body += "],\"first\":";
  body += json::serialize(json::value(ListLink(req, nullptr)));
  body += ",\"schema\":\"/v2/schemas/images\"";
  if (page.full && !page.images.empty()) {
    body += ",\"next\":";
    body += json::serialize(json::value(ListLink(req, &page.images.back().id)));
  }
  body += "}";
  return http::Response::Json(200, std::move(body));
}

Result<http::Response> ShowImage(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image,
                           LoadVisibleImage(ctx, req.identity, req.path_params[0]));
  return ImageResponse(ctx, 200, image);
}

}  // namespace imagefs::service::api
