// The compute API's image proxy, /v2.1/{project_id}/images (spec 3): Nova's view of
// the same catalog. Lists translate into Images v2 queries exactly as Nova does, so
// filters behave as they do behind a real Nova.
#include <boost/json.hpp>

#include <charconv>
#include <regex>

#include "common/log.h"
#include "common/time_util.h"
#include "service/api/handler_util.h"
#include "service/api/image_schema.h"
#include "service/api/images_v2.h"
#include "service/api/routes.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

constexpr int kMaxImageMicroversion = 35;     // image calls exist in 2.1–2.35
constexpr int kMaxMetadataMicroversion = 38;  // image metadata calls in 2.1–2.38
constexpr int kLatestMicroversion = 96;

// The requested compute microversion's minor number (2.N), 1 when absent.
Result<int> Microversion(const http::Request& req) {
  std::string_view v;
  if (auto h = req.Header("OpenStack-API-Version"); h && h->substr(0, 8) == "compute ") {
    v = h->substr(8);
  } else if (auto x = req.Header("X-OpenStack-Nova-API-Version")) {
    v = *x;
  } else {
    return 1;
  }
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v == "latest") return kLatestMicroversion;
  int minor = 0;
  if (v.substr(0, 2) != "2." ||
      std::from_chars(v.data() + 2, v.data() + v.size(), minor).ec != std::errc()) {
    return InvalidArgument("Invalid API version request: " + std::string(v));
  }
  if (minor < 1 || minor > kLatestMicroversion) {
    return Unimplemented("Version 2." + std::to_string(minor) + " is not supported by the API.");
  }
  return minor;
}

// Nova's checks common to every call: the microversion has the call, and the URL's
// project is the caller's.
Status CheckRequest(const http::Request& req, int max_minor) {
  IMAGEFS_ASSIGN_OR_RETURN(int minor, Microversion(req));
  if (minor > max_minor) return NotFound("The resource could not be found.");
  const std::string& project = req.path_params[0];
  if (!req.identity.is_admin && project != req.identity.project) {
    return InvalidArgument("Malformed request URL: URL's project_id '" + project +
                           "' doesn't match Context's project_id '" + req.identity.project + "'");
  }
  return Status::Ok();
}

std::string_view NovaStatus(wire::ImageStatus s) {
  switch (s) {
    case wire::ImageStatus::kActive: return "ACTIVE";
    case wire::ImageStatus::kQueued:
    case wire::ImageStatus::kSaving: return "SAVING";
    case wire::ImageStatus::kDeleted:
    case wire::ImageStatus::kPendingDelete: return "DELETED";
    case wire::ImageStatus::kKilled: return "ERROR";
    default: return "UNKNOWN";
  }
}

int Progress(wire::ImageStatus s) {
  switch (s) {
    case wire::ImageStatus::kQueued: return 25;
    case wire::ImageStatus::kSaving: return 50;
    case wire::ImageStatus::kActive: return 100;
    default: return 0;
  }
}

json::array Links(const http::Request& req, std::string_view kind, const std::string& id) {
  const std::string& project = req.path_params[0];
  json::array links{
      {{"rel", "self"}, {"href", req.base_url + "/v2.1/" + project + "/" + std::string(kind) + "/" + id}},
      {{"rel", "bookmark"}, {"href", req.base_url + "/" + project + "/" + std::string(kind) + "/" + id}}};
  if (kind == "images") {
    links.emplace_back(json::object{{"rel", "alternate"},
                                    {"type", "application/vnd.openstack.image"},
                                    {"href", req.base_url + "/images/" + id}});
  }
  return links;
}

json::object Metadata(const wire::Image& img) {
  json::object meta;
  for (const auto& [k, v] : img.properties) {
    if (k == "os_glance_stage_host" || k == "os_glance_hash_op_host") continue;
    if (k == "block_device_mapping" || k == "mappings") {
      Result<json::value> decoded = wire::ParseJson(v);
      if (decoded.ok()) {
        meta[k] = std::move(*decoded);
        continue;
      }
    }
    meta[k] = v;
  }
  return meta;
}

json::object DetailView(const http::Request& req, const wire::Image& img) {
  json::object o{{"id", img.id},
                 {"name", img.name ? json::value(*img.name) : json::value(nullptr)},
                 {"minRam", img.min_ram},
                 {"minDisk", img.min_disk},
                 {"metadata", Metadata(img)},
                 {"created", FormatIsoZ(img.created_at)},
                 {"updated", FormatIsoZ(img.updated_at)},
                 {"status", NovaStatus(img.status)},
                 {"progress", Progress(img.status)},
                 {"OS-EXT-IMG-SIZE:size", img.size.value_or(0)},
                 {"links", Links(req, "images", img.id)}};
  if (auto server = img.properties.find("instance_uuid"); server != img.properties.end()) {
    o["server"] = {{"id", server->second}, {"links", Links(req, "servers", server->second)}};
  }
  if (auto adc = img.properties.find("auto_disk_config"); adc != img.properties.end()) {
    std::string v = adc->second;
    std::transform(v.begin(), v.end(), v.begin(), ::tolower);
    if (v == "true" || v == "1" || v == "yes" || v == "on" || v == "t" || v == "y") {
      o["OS-DCF:diskConfig"] = "AUTO";
    } else if (v == "false" || v == "0" || v == "no" || v == "off" || v == "f" || v == "n") {
      o["OS-DCF:diskConfig"] = "MANUAL";
    }
  }
  return o;
}

// Translates Nova's list parameters into an Images v2 query (spec 3.3).
Result<QueryParams> GlanceParams(const http::Request& req) {
  QueryParams out;
  for (const auto& [k, v] : req.query) {
    if (k == "name" || k == "marker") {
      out.emplace_back(k, v);
    } else if (k == "status") {
      std::string lower = v;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      out.emplace_back("status", lower);
    } else if (k == "changes-since") {
      if (!ParseIso(v).ok()) return InvalidArgument("Invalid changes-since value: " + v);
      out.emplace_back("updated_at", "gte:" + v);
    } else if (k == "server") {
      out.emplace_back("instance_uuid", v.substr(v.rfind('/') + 1));
    } else if (k == "type") {
      out.emplace_back("image_type", v);
    } else if (k == "minRam" || k == "minDisk") {
      out.emplace_back(k == "minRam" ? "min_ram" : "min_disk", v);
    } else if (k == "limit") {
      int n = 0;
      if (std::from_chars(v.data(), v.data() + v.size(), n).ec != std::errc() || n <= 0) {
        return InvalidArgument("limit param must be positive");
      }
      out.emplace_back("limit", v);
    } else if (k.rfind("property-", 0) == 0 && k.size() > 9) {
      out.emplace_back(k.substr(9), v);
    }
  }
  return out;
}

Result<http::Response> List(ServiceContext& ctx, http::Request& req, bool detail) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(req, kMaxImageMicroversion));
  IMAGEFS_ASSIGN_OR_RETURN(QueryParams params, GlanceParams(req));
  IMAGEFS_ASSIGN_OR_RETURN(ListQuery query,
                           ParseV2ListQuery(params, req.identity, ctx.config.list_limits));
  IMAGEFS_ASSIGN_OR_RETURN(ListPage page, ctx.catalog.ListImages(query));
  json::array images;
  for (const auto& img : page.images) {
    if (detail) {
      images.emplace_back(DetailView(req, img));
    } else {
      images.emplace_back(json::object{{"id", img.id},
                                       {"name", img.name ? json::value(*img.name) : json::value(nullptr)},
                                       {"links", Links(req, "images", img.id)}});
    }
  }
  json::object body{{"images", std::move(images)}};
  if (page.full && !page.images.empty()) {
    QueryParams next;
    for (const auto& kv : req.query) {
      if (kv.first != "marker") next.push_back(kv);
    }
    next.emplace_back("marker", page.images.back().id);
    std::string href = req.base_url + "/v2.1/" + req.path_params[0] + "/images" +
                       (detail ? "/detail" : "") + "?" + EncodeQuery(next);
    body["images_links"] = {{{"rel", "next"}, {"href", href}}};
  }
  return JsonResponse(200, body);
}

Result<wire::Image> LoadImage(ServiceContext& ctx, const http::Request& req) {
  Result<wire::Image> img = LoadVisibleImage(ctx, req.identity, req.path_params[1]);
  if (!img.ok()) return NotFound("Image not found.");
  return img;
}

Result<http::Response> Show(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(req, kMaxImageMicroversion));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadImage(ctx, req));
  return JsonResponse(200, json::object{{"image", DetailView(req, img)}});
}

Result<http::Response> Delete(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(req, kMaxImageMicroversion));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadImage(ctx, req));
  if (!MayWrite(req.identity, img) || !RequireMemberRole(req.identity, "delete_image").ok()) {
    return PermissionDenied("You are not allowed to delete the image.");
  }
  if (img.is_protected) return PermissionDenied("Image " + img.id + " is protected and cannot be deleted.");
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.DeleteImage(img.id, ctx.clock.WallMicros()).status());
  if (Status s = ctx.store.Remove(img.id); !s.ok()) {
    IMAGEFS_LOG(WARN, "image {} deleted but its data was not removed: {}", img.id, s.ToString());
  }
  return http::Response::Empty(204);
}

// Nova's metadata schema: keys ^[a-zA-Z0-9-_:. ]{1,255}$, string values <= 255.
Status ValidateMetadata(const json::object& meta) {
  static const std::regex kKey("^[a-zA-Z0-9\\-_:. ]{1,255}$");
  for (const auto& kv : meta) {
    std::string key(kv.key());
    if (!std::regex_match(key, kKey)) return InvalidArgument("Invalid metadata key: '" + key + "'");
    if (!kv.value().is_string() || kv.value().get_string().size() > 255) {
      return InvalidArgument("Invalid metadata value for key '" + key + "': a string of at most 255 characters");
    }
    if (IsReservedProperty(key)) return PermissionDenied("Attribute '" + key + "' is reserved.");
  }
  return Status::Ok();
}

// The request body's {"<wrapper>": {...}} object, alone (additionalProperties false).
Result<json::object> Wrapped(ServiceContext& ctx, http::Request& req, std::string_view wrapper) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  if (!body.is_object() || body.get_object().size() != 1 ||
      !body.get_object().contains(wrapper) || !body.get_object().at(wrapper).is_object()) {
    return InvalidArgument("Invalid input for field/attribute " + std::string(wrapper) + ".");
  }
  json::object inner = body.get_object().at(wrapper).get_object();
  IMAGEFS_RETURN_IF_ERROR(ValidateMetadata(inner));
  return inner;
}

// Applies `edit` to the custom properties of the image, under Nova's rules.
Result<wire::Image> EditMetadata(ServiceContext& ctx, http::Request& req,
                                 const std::function<Status(std::map<std::string, std::string>&)>& edit) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(req, kMaxMetadataMicroversion));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadImage(ctx, req));
  if (!MayWrite(req.identity, img) || !RequireMemberRole(req.identity, "modify_image").ok()) {
    return PermissionDenied("You are not allowed to change the metadata of this image.");
  }
  int64_t now = ctx.clock.WallMicros();
  return ctx.catalog.UpdateImage(img.id, [&](wire::Image& i) -> Status {
    IMAGEFS_RETURN_IF_ERROR(edit(i.properties));
    if (i.properties.size() > 128) return PermissionDenied("Image metadata limit exceeded");
    i.updated_at = now;
    return Status::Ok();
  });
}

Result<http::Response> GetMetadata(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(req, kMaxMetadataMicroversion));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadImage(ctx, req));
  return JsonResponse(200, json::object{{"metadata", Metadata(img)}});
}

Result<http::Response> MergeMetadata(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object meta, Wrapped(ctx, req, "metadata"));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, EditMetadata(ctx, req, [&](auto& props) {
    for (const auto& kv : meta) props[std::string(kv.key())] = std::string(kv.value().get_string());
    return Status::Ok();
  }));
  return JsonResponse(200, json::object{{"metadata", Metadata(img)}});
}

Result<http::Response> ReplaceMetadata(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object meta, Wrapped(ctx, req, "metadata"));
  IMAGEFS_RETURN_IF_ERROR(EditMetadata(ctx, req, [&](auto& props) {
    for (auto it = props.begin(); it != props.end();) {
      it = IsReservedProperty(it->first) ? std::next(it) : props.erase(it);
    }
    for (const auto& kv : meta) props[std::string(kv.key())] = std::string(kv.value().get_string());
    return Status::Ok();
  }).status());
  return JsonResponse(200, json::object{{"metadata", meta}});
}

Result<http::Response> GetMetadataItem(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(req, kMaxMetadataMicroversion));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadImage(ctx, req));
  const std::string& key = req.path_params[2];
  auto it = img.properties.find(key);
  if (it == img.properties.end()) return NotFound("Image does not have metadata item " + key + ".");
  return JsonResponse(200, json::object{{"meta", {{key, it->second}}}});
}

Result<http::Response> SetMetadataItem(ServiceContext& ctx, http::Request& req) {
  const std::string& key = req.path_params[2];
  IMAGEFS_ASSIGN_OR_RETURN(json::object meta, Wrapped(ctx, req, "meta"));
  if (meta.size() != 1 || !meta.contains(key)) return InvalidArgument("Request body and URI mismatch");
  IMAGEFS_RETURN_IF_ERROR(EditMetadata(ctx, req, [&](auto& props) {
    props[key] = std::string(meta.at(key).get_string());
    return Status::Ok();
  }).status());
  return JsonResponse(200, json::object{{"meta", meta}});
}

Result<http::Response> DeleteMetadataItem(ServiceContext& ctx, http::Request& req) {
  const std::string& key = req.path_params[2];
  IMAGEFS_RETURN_IF_ERROR(EditMetadata(ctx, req, [&](auto& props) -> Status {
    if (props.erase(key) == 0) return NotFound("Invalid metadata key");
    return Status::Ok();
  }).status());
  return http::Response::Empty(204);
}

}  // namespace

void AddComputeImageRoutes(http::Router& router, ServiceContext& ctx) {
  using Fn = std::function<Result<http::Response>(http::Request&)>;
  auto add = [&](std::string_view method, std::string_view tail, bool reject_body, Fn fn) {
    std::string pattern = "/v2.1/{project_id}/images" + std::string(tail);
    http::RouteOptions o;
    o.error_style = http::ErrorStyle::kNova;
    o.reject_body = reject_body;
    o.name = std::string(method) + " " + pattern;
    router.Add(method, pattern, std::move(fn), o);
  };
  add("GET", "", true, [&ctx](http::Request& r) { return List(ctx, r, false); });
  add("GET", "/detail", true, [&ctx](http::Request& r) { return List(ctx, r, true); });
  add("GET", "/{image_id}", true, [&ctx](http::Request& r) { return Show(ctx, r); });
  add("DELETE", "/{image_id}", true, [&ctx](http::Request& r) { return Delete(ctx, r); });
  add("GET", "/{image_id}/metadata", true, [&ctx](http::Request& r) { return GetMetadata(ctx, r); });
  add("POST", "/{image_id}/metadata", false, [&ctx](http::Request& r) { return MergeMetadata(ctx, r); });
  add("PUT", "/{image_id}/metadata", false, [&ctx](http::Request& r) { return ReplaceMetadata(ctx, r); });
  add("GET", "/{image_id}/metadata/{key}", true,
      [&ctx](http::Request& r) { return GetMetadataItem(ctx, r); });
  add("PUT", "/{image_id}/metadata/{key}", false,
      [&ctx](http::Request& r) { return SetMetadataItem(ctx, r); });
  add("DELETE", "/{image_id}/metadata/{key}", true,
      [&ctx](http::Request& r) { return DeleteMetadataItem(ctx, r); });
}

}  // namespace imagefs::service::api
