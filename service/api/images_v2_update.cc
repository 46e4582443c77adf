// PATCH, DELETE, tags and actions of /v2/images/{id} (spec 1.5.4–1.5.7, 1.5.11, 1.7).
#include <boost/json.hpp>

#include "common/log.h"
#include "service/api/handler_util.h"
#include "service/api/image_schema.h"
#include "service/api/images_v2.h"
#include "service/api/images_v2_locations.h"
#include "service/api/json_patch.h"
#include "service/http/error_mapping.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

using Kind = PatchOp::Kind;

Status ReplaceBase(const ServiceContext& ctx, const Identity& caller, const std::string& key,
                   const json::value& v, wire::Image& img) {
  auto opt = [&v]() -> std::optional<std::string> {
    return v.is_string() ? std::optional<std::string>(std::string(v.get_string())) : std::nullopt;
  };
  if (key == "name") {
    img.name = opt();
  } else if (key == "visibility") {
    auto vis = *wire::ParseVisibility(std::string_view(v.get_string()));
    if (vis == wire::Visibility::kPublic && !caller.is_admin) {
      return PermissionDenied("You are not authorized to complete publicize_image action.");
    }
    img.visibility = vis;
  } else if (key == "protected") {
    img.is_protected = v.get_bool();
  } else if (key == "os_hidden") {
    img.os_hidden = v.get_bool();
  } else if (key == "min_ram" || key == "min_disk") {
    if (v.is_uint64() || v.get_int64() < 0) {
      return InvalidArgument("Invalid value '" + json::serialize(v) + "' for parameter '" + key +
                             "': Cannot be a negative value");
    }
    (key == "min_ram" ? img.min_ram : img.min_disk) = v.get_int64();
  } else if (key == "container_format" || key == "disk_format") {
    if (img.status != wire::ImageStatus::kQueued && img.status != wire::ImageStatus::kImporting) {
      return PermissionDenied("Attribute " + key + " can be only replaced for a queued image.");
    }
    (key == "disk_format" ? img.disk_format : img.container_format) = opt();
  } else if (key == "owner") {
    if (!caller.is_admin) return PermissionDenied("Owner can't be updated by non admin.");
    img.owner = opt();
  } else if (key == "tags") {
    std::vector<std::string> tags;
    for (const auto& t : v.get_array()) tags.emplace_back(t.get_string());
    return SetTags(ctx.config, tags, img);
  }
  return Status::Ok();
}

Status ApplyCustom(PatchDialect dialect, const PatchOp& op, const std::string& key,
                   wire::Image& img) {
  bool exists = img.properties.count(key) > 0;
  if (op.kind == Kind::kRemove || op.kind == Kind::kReplace || dialect == PatchDialect::kV20) {
    bool must_exist = op.kind != Kind::kAdd;
    if (must_exist != exists) {
      return FailedPrecondition(exists ? "Property " + key + " already present."
                                       : "Property " + key + " does not exist.");
    }
  }
  if (op.kind == Kind::kRemove) {
    img.properties.erase(key);
  } else if (op.value->is_string()) {
    img.properties[key] = std::string(op.value->get_string());
  } else {
    img.properties.erase(key);  // a typed custom property set to null
  }
  return Status::Ok();
}

Status ApplyOp(const ServiceContext& ctx, const Identity& caller, PatchDialect dialect,
               const PatchOp& op, const LocationSizes& sizes, int64_t now, wire::Image& img) {
  const std::string& key = op.path[0];
  if (key == "locations") return ApplyLocationOp(ctx, sizes, op, now, img);
  if (IsReadOnlyProperty(key)) return PermissionDenied("Attribute '" + key + "' is read-only.");
  if (IsReservedProperty(key)) return PermissionDenied("Attribute '" + key + "' is reserved.");
  if (op.kind != Kind::kRemove) {
    IMAGEFS_RETURN_IF_ERROR(ValidateProperty(key, *op.value));
    if (!wire::IsBaseProperty(key) && key.size() > 255) {
      return InvalidArgument("Custom property should not be greater than 255 characters.");
    }
  }
  if (!wire::IsBaseProperty(key)) return ApplyCustom(dialect, op, key, img);
  if (op.kind == Kind::kRemove) return PermissionDenied("Property " + key + " may not be removed.");
  if (op.kind == Kind::kAdd && dialect == PatchDialect::kV20) {
    return FailedPrecondition("Property " + key + " already present.");
  }
  return ReplaceBase(ctx, caller, key, *op.value, img);
}

// Changes the status of an image for deactivate/reactivate; same status is a no-op.
Result<http::Response> ChangeActivation(ServiceContext& ctx, http::Request& req, bool activate) {
  const std::string& id = req.path_params[0];
  IMAGEFS_RETURN_IF_ERROR(LoadWritableImage(ctx, req.identity, id).status());
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, activate ? "reactivate" : "deactivate"));
  auto from = activate ? wire::ImageStatus::kDeactivated : wire::ImageStatus::kActive;
  auto to = activate ? wire::ImageStatus::kActive : wire::ImageStatus::kDeactivated;
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Image> r = ctx.catalog.UpdateImage(id, [&](wire::Image& img) -> Status {
    if (img.status == to) return Status::Ok();
    if (img.status != from) {
      return PermissionDenied(std::string("Not allowed to ") +
                              (activate ? "reactivate" : "deactivate") + " image in status '" +
                              std::string(wire::ToString(img.status)) + "'");
    }
    img.status = to;
    img.updated_at = now;
    return Status::Ok();
  });
  IMAGEFS_RETURN_IF_ERROR(r.status());
  return http::Response::Empty(204);
}

}  // namespace

Result<http::Response> PatchImage(ServiceContext& ctx, http::Request& req) {
  std::string_view type = req.Header("Content-Type").value_or("");
  std::optional<PatchDialect> dialect = PatchDialectOf(type);
  if (!dialect) {
    std::string t = type.empty() ? std::string("None") : std::string(type);
    return http::ErrorResponse(
               UnsupportedMedia("The request media type " + t + " is not supported by this server."))
        .SetHeader("Accept-Patch", std::string(kAcceptPatch));
  }
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<PatchOp> ops, ParsePatch(*dialect, body));
  const std::string& id = req.path_params[0];
  IMAGEFS_RETURN_IF_ERROR(LoadWritableImage(ctx, req.identity, id).status());
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "modify_image"));
  IMAGEFS_ASSIGN_OR_RETURN(LocationSizes sizes, ProbeLocations(ctx, ops));
  int64_t now = ctx.clock.WallMicros();
  IMAGEFS_ASSIGN_OR_RETURN(
      wire::Image image, ctx.catalog.UpdateImage(id, [&](wire::Image& img) -> Status {
        if (ops.empty()) return Status::Ok();
        for (const auto& op : ops) {
          IMAGEFS_RETURN_IF_ERROR(ApplyOp(ctx, req.identity, *dialect, op, sizes, now, img));
        }
        int quota = ctx.config.image_property_quota;
        if (quota >= 0 && img.properties.size() > static_cast<size_t>(quota)) {
          return ResourceExhausted("Maximum number of properties (" + std::to_string(quota) +
                                   ") exceeded.");
        }
        img.updated_at = now;
        return Status::Ok();
      }));
  return ImageResponse(ctx, 200, image);
}

Result<http::Response> DeleteImage(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  Result<wire::Image> image = LoadVisibleImage(ctx, req.identity, id);
  if (!image.ok()) return NotFound("Failed to find image " + id + " to delete");
  if (!MayWrite(req.identity, *image)) return PermissionDenied("You do not own this image");
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "delete_image"));
  if (image->is_protected) {
    return PermissionDenied("Image " + id + " is protected and cannot be deleted.");
  }
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.DeleteImage(id, ctx.clock.WallMicros()).status());
  // The record says deleted before the bytes go: a crash in between leaves an
  // orphan file, which the next start removes (service/api/recovery.h).
  if (Status s = ctx.store.Remove(id); !s.ok()) {
    IMAGEFS_LOG(WARN, "image {} deleted but its data was not removed: {}", id, s.ToString());
  }
  return http::Response::Empty(204);
}

Result<http::Response> AddTag(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& tag = req.path_params[1];
  IMAGEFS_RETURN_IF_ERROR(ValidateProperty("tags", json::array{json::value(tag)}));
  Result<wire::Image> image = LoadVisibleImage(ctx, req.identity, id);
  if (!image.ok()) return NotFound("Image " + id + " not found.");
  if (!MayWrite(req.identity, *image) || !RequireMemberRole(req.identity, "modify_image").ok()) {
    return PermissionDenied("Not allowed to update tags for image " + id + ".");
  }
  int64_t now = ctx.clock.WallMicros();
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog
                              .UpdateImage(id,
                                           [&](wire::Image& img) -> Status {
                                             if (img.HasTag(tag)) return Status::Ok();
                                             std::vector<std::string> tags = img.tags;
                                             tags.push_back(tag);
                                             IMAGEFS_RETURN_IF_ERROR(SetTags(ctx.config, tags, img));
                                             img.updated_at = now;
                                             return Status::Ok();
                                           })
                              .status());
  return http::Response::Empty(204);
}

Result<http::Response> RemoveTag(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& tag = req.path_params[1];
  Result<wire::Image> image = LoadVisibleImage(ctx, req.identity, id);
  if (!image.ok()) return NotFound("Image " + id + " not found.");
  if (!MayWrite(req.identity, *image) || !RequireMemberRole(req.identity, "modify_image").ok()) {
    return PermissionDenied("Not allowed to update tags for image " + id + ".");
  }
  int64_t now = ctx.clock.WallMicros();
  IMAGEFS_RETURN_IF_ERROR(
      ctx.catalog
          .UpdateImage(id,
                       [&](wire::Image& img) -> Status {
                         auto it = std::find(img.tags.begin(), img.tags.end(), tag);
                         if (it == img.tags.end()) return NotFound("The resource could not be found.");
                         img.tags.erase(it);
                         img.updated_at = now;
                         return Status::Ok();
                       })
          .status());
  return http::Response::Empty(204);
}

Result<http::Response> Deactivate(ServiceContext& ctx, http::Request& req) {
  return ChangeActivation(ctx, req, false);
}

Result<http::Response> Reactivate(ServiceContext& ctx, http::Request& req) {
  return ChangeActivation(ctx, req, true);
}

}  // namespace imagefs::service::api
