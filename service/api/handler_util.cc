#include "service/api/handler_util.h"

#include <boost/json/serialize.hpp>

namespace imagefs::service::api {

Result<wire::Image> LoadVisibleImage(ServiceContext& ctx, const Identity& caller,
                                     std::string_view id) {
  Result<wire::Image> image = ctx.catalog.GetImage(id);
  if (!image.ok() || image->status == wire::ImageStatus::kDeleted ||
      image->status == wire::ImageStatus::kPendingDelete ||
      !ctx.catalog.IsVisible(*image, caller)) {
    return NotFound("No image found with ID " + std::string(id));
  }
  return image;
}

bool MayWrite(const Identity& caller, const wire::Image& image) {
  return caller.is_admin || (image.owner && *image.owner == caller.project);
}

Result<wire::Image> LoadWritableImage(ServiceContext& ctx, const Identity& caller,
                                      std::string_view id) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, LoadVisibleImage(ctx, caller, id));
  if (!MayWrite(caller, image)) return PermissionDenied("You do not own this image");
  return image;
}

Result<boost::json::value> ReadJsonBody(ServiceContext& ctx, http::Request& req) {
  if (!req.body->present()) return InvalidArgument("Body expected in request.");
  IMAGEFS_ASSIGN_OR_RETURN(std::string text, req.body->ReadAll(ctx.config.max_json_body));
  if (text.empty()) return InvalidArgument("Body expected in request.");
  Result<boost::json::value> v = wire::ParseJson(text);
  if (!v.ok()) return InvalidArgument("Malformed JSON in request body.");
  return v;
}

wire::RenderOptions RenderOptionsOf(const ServiceContext& ctx) {
  wire::RenderOptions o;
  o.show_locations = ctx.config.show_multiple_locations;
  o.show_direct_url = ctx.config.show_image_direct_url;
  // `stores` names the stores holding the data, in every mode: /v2/info/stores
  // lists them in every mode too (docs/api.md).
  o.multi_store = true;
  return o;
}

http::Response ImageResponse(const ServiceContext& ctx, int status, const wire::Image& image) {
  return http::Response::Json(status, wire::SerializeV2Image(image, RenderOptionsOf(ctx)));
}

http::Response JsonResponse(int status, const boost::json::value& body) {
  return http::Response::Json(status, boost::json::serialize(body));
}

Status CheckTransition(const wire::Image& image, wire::ImageStatus to) {
  if (wire::IsValidTransition(image.status, to)) return Status::Ok();
  return FailedPrecondition("Image status transition from " +
                            std::string(wire::ToString(image.status)) + " to " +
                            std::string(wire::ToString(to)) + " is not allowed");
}

}  // namespace imagefs::service::api

namespace imagefs::service::api {

std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& pairs) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto encode = [&out](std::string_view s) {
    for (unsigned char c : s) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else if (c == ' ') {
        out.push_back('+');
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    encode(k);
    out.push_back('=');
    encode(v);
  }
  return out;
}

}  // namespace imagefs::service::api
