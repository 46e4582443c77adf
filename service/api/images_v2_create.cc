// POST /v2/images (spec 1.5.1): validation order follows Glance's.
#include <boost/json.hpp>

#include <array>

#include "common/uuid.h"
#include "service/api/handler_util.h"
#include "service/api/image_schema.h"
#include "service/api/images_v2.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> kDisallowedOnCreate = {"direct_url", "self", "file",
                                                                 "schema", "stores"};
constexpr std::array<std::string_view, 8> kReadOnlyOnCreate = {
    "status",     "checksum",   "size",         "virtual_size",
    "created_at", "updated_at", "os_hash_algo", "os_hash_value"};

Status CheckKeys(const json::object& body, const Identity& caller) {
  for (auto key : kDisallowedOnCreate) {
    if (body.contains(key)) return PermissionDenied("Attribute '" + std::string(key) + "' is read-only.");
  }
  for (const auto& kv : body) {
    IMAGEFS_RETURN_IF_ERROR(ValidateProperty(kv.key(), kv.value()));
  }
  for (const auto& kv : body) {
    std::string_view key = kv.key();
    if (!wire::IsBaseProperty(key) && key.size() > 255) {
      return InvalidArgument("Custom property should not be greater than 255 characters.");
    }
    if (IsReservedProperty(key)) {
      return PermissionDenied("Attribute '" + std::string(key) + "' is reserved.");
    }
  }
  if (auto owner = body.find("owner"); owner != body.end() && !caller.is_admin) {
    if (!owner->value().is_string() || owner->value().get_string() != caller.project) {
      std::string who = owner->value().is_string() ? std::string(owner->value().get_string())
                                                   : std::string("None");
      return PermissionDenied("You are not permitted to create images owned by '" + who + "'.");
    }
  }
  if (auto vis = body.find("visibility");
      vis != body.end() && vis->value() == "public" && !caller.is_admin) {
    return PermissionDenied("You are not authorized to complete publicize_image action.");
  }
  for (auto key : kReadOnlyOnCreate) {
    if (body.contains(key)) return PermissionDenied("Attribute '" + std::string(key) + "' is read-only.");
  }
  if (body.contains("locations")) return PermissionDenied("Attribute 'locations' is reserved.");
  return Status::Ok();
}

Status CheckNonNegative(const json::object& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end()) return Status::Ok();
  std::string prefix = "Invalid value '" + json::serialize(it->value()) + "' for parameter '" +
                       std::string(key) + "': ";
  if (it->value().is_uint64()) return InvalidArgument(prefix + "Value is too large");
  if (it->value().is_int64() && it->value().get_int64() < 0) {
    return InvalidArgument(prefix + "Cannot be a negative value");
  }
  return Status::Ok();
}

std::optional<std::string> OptString(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return std::nullopt;
}

// Builds the image from a body that passed CheckKeys.
Result<wire::Image> ImageFromBody(const ServiceContext& ctx, const json::object& body,
                                  const Identity& caller, int64_t now) {
  wire::Image img;
  img.owner = caller.project.empty() ? std::nullopt : std::optional<std::string>(caller.project);
  img.created_at = img.updated_at = now;
  for (const auto& kv : body) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "id") {
      img.id = std::string(v.get_string());
    } else if (k == "name") {
      img.name = OptString(v);
    } else if (k == "visibility") {
      img.visibility = *wire::ParseVisibility(std::string_view(v.get_string()));
    } else if (k == "protected") {
      img.is_protected = v.get_bool();
    } else if (k == "os_hidden") {
      img.os_hidden = v.get_bool();
    } else if (k == "min_disk" || k == "min_ram") {
      (k == "min_disk" ? img.min_disk : img.min_ram) = v.get_int64();  // CheckNonNegative ran
    } else if (k == "container_format") {
      img.container_format = OptString(v);
    } else if (k == "disk_format") {
      img.disk_format = OptString(v);
    } else if (k == "owner") {
      img.owner = OptString(v);
    } else if (k == "tags") {
      std::vector<std::string> tags;
      for (const auto& t : v.get_array()) tags.emplace_back(t.get_string());
      IMAGEFS_RETURN_IF_ERROR(SetTags(ctx.config, tags, img));
    } else if (v.is_string()) {
      img.properties[std::string(k)] = std::string(v.get_string());
    }  // a typed custom property given as null is simply not set
  }
  if (img.id.empty()) img.id = NewUuid();
  int quota = ctx.config.image_property_quota;
  if (quota >= 0 && img.properties.size() > static_cast<size_t>(quota)) {
    return ResourceExhausted("Maximum number of properties (" + std::to_string(quota) +
                             ") exceeded.");
  }
  return img;
}

}  // namespace

Status RequireMemberRole(const Identity& caller, std::string_view action) {
  if (caller.is_admin || caller.HasRole("member")) return Status::Ok();
  return PermissionDenied("You are not authorized to complete " + std::string(action) +
                          " action.");
}

Status SetTags(const ServiceConfig& config, const std::vector<std::string>& tags,
               wire::Image& image) {
  std::vector<std::string> set;
  for (const auto& t : tags) {
    if (std::find(set.begin(), set.end(), t) == set.end()) set.push_back(t);
  }
  if (config.image_tag_quota >= 0 && set.size() > static_cast<size_t>(config.image_tag_quota)) {
    return ResourceExhausted("Maximum number of tags (" + std::to_string(config.image_tag_quota) +
                             ") exceeded.");
  }
  image.tags = std::move(set);
  return Status::Ok();
}

Result<http::Response> CreateImage(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "add_image"));
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  if (!body.is_object()) return InvalidArgument("Request body must be a JSON object.");
  const json::object& o = body.get_object();
  IMAGEFS_RETURN_IF_ERROR(CheckKeys(o, req.identity));
  IMAGEFS_RETURN_IF_ERROR(CheckNonNegative(o, "min_ram"));
  IMAGEFS_RETURN_IF_ERROR(CheckNonNegative(o, "min_disk"));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image,
                           ImageFromBody(ctx, o, req.identity, ctx.clock.WallMicros()));
  Status created = ctx.catalog.CreateImage(image);
  if (created.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("Image ID " + image.id + " already exists!");
  }
  IMAGEFS_RETURN_IF_ERROR(created);
  http::Response resp = ImageResponse(ctx, 201, image);
  resp.SetHeader("Location", req.base_url + "/v2/images/" + image.id);
  if (!ctx.config.import_methods.empty()) {
    std::string methods;
    for (const auto& m : ctx.config.import_methods) {
      if (!methods.empty()) methods += ',';
      methods += m;
    }
    resp.SetHeader("OpenStack-image-import-methods", methods);
  }
  return resp;
}

}  // namespace imagefs::service::api
