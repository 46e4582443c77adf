// Images API v1 image calls (spec 2.1–2.4).
#include "service/api/images_v1.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <set>

#include "common/log.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "service/api/handler_util.h"
#include "service/api/images_v1_sources.h"
#include "service/api/image_schema.h"
#include "service/api/images_v2.h"
#include "service/api/upload.h"
#include "service/http/error_mapping.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

const std::set<std::string, std::less<>> kCoreFields = {
    "id",        "name",         "status",     "size",       "virtual_size", "disk_format",
    "container_format", "checksum", "min_ram", "min_disk",  "owner",        "is_public",
    "protected", "deleted",      "deleted_at", "created_at", "updated_at",   "location",
    "copy_from", "uri",          "store"};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

std::string Underscored(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

Result<int64_t> NonNegative(std::string_view field, std::string_view v) {
  int64_t n = -1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) {
    return InvalidArgument("Invalid " + std::string(field) + ": '" + std::string(v) +
                           "' is not a non-negative integer");
  }
  return n;
}

std::string PyBool(bool b) { return b ? "True" : "False"; }

bool HasBody(const http::Request& req) { return req.body->present(); }

// Applies the core fields of `meta` to `img`. `creating`: the image is new.
Status ApplyCore(const V1Meta& meta, const Identity& caller, bool creating, wire::Image& img) {
  for (const auto& [k, v] : meta.core) {
    if (k == "name") {
      if (v.size() > 255) return InvalidArgument("Image name too long: " + std::to_string(v.size()));
      img.name = v;
    } else if (k == "disk_format" || k == "container_format") {
      bool known = k == "disk_format" ? wire::IsKnownDiskFormat(v) : wire::IsKnownContainerFormat(v);
      if (!known) return InvalidArgument("Invalid " + k + " '" + v + "' for image.");
      if (!creating && img.status != wire::ImageStatus::kQueued &&
          (k == "disk_format" ? img.disk_format : img.container_format) != v) {
        return PermissionDenied("Forbidden to change the " + k + " of a " +
                                std::string(wire::ToString(img.status)) + " image.");
      }
      (k == "disk_format" ? img.disk_format : img.container_format) = v;
    } else if (k == "min_ram" || k == "min_disk") {
      IMAGEFS_ASSIGN_OR_RETURN(int64_t n, NonNegative(k, v));
      (k == "min_ram" ? img.min_ram : img.min_disk) = n;
    } else if (k == "is_public") {
      bool pub = V1Bool(v);
      if (pub && !caller.is_admin) {
        return PermissionDenied("You are not authorized to complete publicize_image action.");
      }
      if (pub) {
        img.visibility = wire::Visibility::kPublic;
      } else if (img.visibility == wire::Visibility::kPublic) {
        img.visibility = wire::Visibility::kShared;
      }
    } else if (k == "protected") {
      img.is_protected = V1Bool(v);
    } else if (k == "owner") {
      if (caller.is_admin) img.owner = v.empty() ? std::nullopt : std::optional<std::string>(v);
    } else if (k == "location" || k == "copy_from") {
      // data sources: Create and Update handle them (images_v1_sources.h)
    } else if (k == "uri") {
      return InvalidArgument("x-image-meta-uri is not supported by this server.");
    } else if (k == "id") {
      if (creating) {
        if (!IsUuid(v)) return InvalidArgument("x-image-meta-id must be a UUID");
        img.id = v;
      } else if (v != img.id) {
        return PermissionDenied("Forbidden to change the id of an image.");
      }
    } else if (k == "status" && !creating && v != wire::ToString(img.status)) {
      return PermissionDenied("Forbidden to change the status of an image.");
    } else if ((k == "size" || k == "checksum") && !creating && !caller.is_admin &&
               img.status != wire::ImageStatus::kQueued) {
      bool same = k == "size" ? img.size && std::to_string(*img.size) == v
                              : img.checksum && *img.checksum == v;
      if (!same) return PermissionDenied("Forbidden to change the " + k + " of an image with data.");
    } else if (k == "checksum" && v.size() > 32) {
      return InvalidArgument("Invalid checksum '" + v + "': longer than 32 characters");
    }
  }
  // aki/ari/ami images name both formats alike; one given, the other follows.
  for (const char* amazon : {"aki", "ari", "ami"}) {
    bool d = img.disk_format == amazon, c = img.container_format == amazon;
    if (d && !img.container_format) img.container_format = amazon;
    if (c && !img.disk_format) img.disk_format = amazon;
    if ((d || c) && img.disk_format != img.container_format) {
      return InvalidArgument("Invalid mix of disk and container formats. When setting a disk or "
                             "container format to one of 'aki', 'ari', or 'ami', the container "
                             "and disk formats must match.");
    }
  }
  return Status::Ok();
}

Status ApplyProperties(const ServiceContext& ctx, const V1Meta& meta, bool purge, wire::Image& img) {
  if (purge) {
    for (auto it = img.properties.begin(); it != img.properties.end();) {
      it = meta.properties.count(it->first) > 0 || IsReservedProperty(it->first)
               ? std::next(it)
               : img.properties.erase(it);
    }
  }
  for (const auto& [k, v] : meta.properties) {
    if (IsReservedProperty(k)) return PermissionDenied("Attribute '" + k + "' is reserved.");
    if (k.size() > 255) return InvalidArgument("Custom property should not be greater than 255 characters.");
    if (v) {
      img.properties[k] = *v;
    } else {
      img.properties.erase(k);
    }
  }
  int quota = ctx.config.image_property_quota;
  if (quota >= 0 && img.properties.size() > static_cast<size_t>(quota)) {
    return ResourceExhausted("Maximum number of properties (" + std::to_string(quota) + ") exceeded.");
  }
  return Status::Ok();
}

http::Response V1ImageResponse(int status, const wire::Image& img) {
  http::Response r = JsonResponse(status, json::object{{"image", V1ImageJson(img)}});
  if (img.checksum) r.SetHeader("ETag", *img.checksum);
  return r;
}

UploadOptions V1UploadOptions(const V1Meta& meta) {
  UploadOptions o;
  o.kill_on_failure = true;
  if (auto s = meta.core.find("size"); s != meta.core.end()) {
    auto n = NonNegative("size", s->second);
    if (n.ok()) o.declared_size = static_cast<uint64_t>(*n);
  }
  if (auto c = meta.core.find("checksum"); c != meta.core.end()) o.expected_md5 = c->second;
  return o;
}

Status CheckBodyType(const http::Request& req) {
  std::string_view type = req.Header("Content-Type").value_or("");
  if (type.substr(0, type.find(';')) != "application/octet-stream") {
    return InvalidArgument("Content-Type must be application/octet-stream to upload image data");
  }
  return Status::Ok();
}

Status CheckSizeHeaders(const V1Meta& meta) {
  if (auto s = meta.core.find("size"); s != meta.core.end()) {
    IMAGEFS_RETURN_IF_ERROR(NonNegative("size", s->second).status());
  }
  if (auto s = meta.core.find("store"); s != meta.core.end() && s->second != "file" &&
                                         s->second != "fs") {
    return InvalidArgument("Store for scheme " + s->second + " not found");
  }
  return Status::Ok();
}

Result<http::Response> Create(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "add_image"));
  IMAGEFS_ASSIGN_OR_RETURN(V1Meta meta, ParseV1Meta(req.headers));
  IMAGEFS_RETURN_IF_ERROR(CheckSizeHeaders(meta));
  bool body = HasBody(req);
  if (body) {
    IMAGEFS_RETURN_IF_ERROR(CheckBodyType(req));
  }
  IMAGEFS_ASSIGN_OR_RETURN(V1Source source, ParseV1Source(req, meta.core, body));
  wire::Image img;
  img.owner = req.identity.project;
  img.created_at = img.updated_at = ctx.clock.WallMicros();
  IMAGEFS_RETURN_IF_ERROR(ApplyCore(meta, req.identity, true, img));
  IMAGEFS_RETURN_IF_ERROR(ApplyProperties(ctx, meta, false, img));
  bool empty_active = !body && source.location.empty() && source.copy_from.empty() &&
                      meta.core.count("size") > 0 && meta.core.at("size") == "0";
  if (body || empty_active || !source.location.empty() || !source.copy_from.empty()) {
    if (!img.disk_format) return InvalidArgument("Disk format is not specified.");
    if (!img.container_format) return InvalidArgument("Container format is not specified.");
  }
  if (!source.location.empty()) {
    IMAGEFS_RETURN_IF_ERROR(RegisterV1Location(ctx, source.location, img.created_at, img));
  }
  if (!source.copy_from.empty()) IMAGEFS_RETURN_IF_ERROR(CheckV1CopyFrom(ctx, source.copy_from));
  if (img.id.empty()) img.id = NewUuid();
  Status created = ctx.catalog.CreateImage(img);
  if (created.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("An image with identifier " + img.id + " already exists");
  }
  IMAGEFS_RETURN_IF_ERROR(created);
  if (body || empty_active) {
    IMAGEFS_ASSIGN_OR_RETURN(img, RunUpload(ctx, req, img.id, V1UploadOptions(meta)));
  }
  if (!source.copy_from.empty()) {
    IMAGEFS_RETURN_IF_ERROR(StartV1CopyFrom(ctx, req, img.id, source.copy_from));
  }
  http::Response r = V1ImageResponse(201, img);
  r.SetHeader("Location", req.base_url + "/v1/images/" + img.id);
  return r;
}

Result<http::Response> Head(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadVisibleImage(ctx, req.identity, req.path_params[0]));
  http::Response r = http::Response::Empty(200);
  AddV1Headers(img, r);
  return r;
}

Result<http::Response> Download(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadVisibleImage(ctx, req.identity, id));
  if (img.status == wire::ImageStatus::kDeactivated && !req.identity.is_admin) {
    return PermissionDenied("The requested image has been deactivated. Image data download is forbidden.");
  }
  bool readable = img.status == wire::ImageStatus::kActive ||
                  img.status == wire::ImageStatus::kDeactivated;
  if (!readable) return NotFound("Image " + id + " is " + std::string(wire::ToString(img.status)) + ": no data");
  http::Response r;
  AddV1Headers(img, r);
  r.SetHeader("Content-Type", "application/octet-stream");
  if (img.size.value_or(0) == 0) return r;
  Result<std::unique_ptr<RangeReader>> data = OpenData(ctx, img);
  if (!data.ok()) return Unavailable("The image data is not available.");
  r.file = std::move(*data);
  r.file_length = r.file->size();
  return r;
}

Result<http::Response> Update(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(V1Meta meta, ParseV1Meta(req.headers));
  IMAGEFS_RETURN_IF_ERROR(CheckSizeHeaders(meta));
  IMAGEFS_RETURN_IF_ERROR(LoadWritableImage(ctx, req.identity, id).status());
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "modify_image"));
  bool body = HasBody(req);
  if (body) {
    IMAGEFS_RETURN_IF_ERROR(CheckBodyType(req));
  }
  IMAGEFS_ASSIGN_OR_RETURN(V1Source source, ParseV1Source(req, meta.core, body));
  if (!source.copy_from.empty()) IMAGEFS_RETURN_IF_ERROR(CheckV1CopyFrom(ctx, source.copy_from));
  bool purge = !body && V1Bool(req.Header("x-glance-registry-purge-props").value_or("true"));
  int64_t now = ctx.clock.WallMicros();
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, ctx.catalog.UpdateImage(id, [&](wire::Image& i) -> Status {
    if ((body || !source.copy_from.empty()) && i.status != wire::ImageStatus::kQueued) {
      return FailedPrecondition("Cannot upload to an unqueued image");
    }
    IMAGEFS_RETURN_IF_ERROR(ApplyCore(meta, req.identity, false, i));
    IMAGEFS_RETURN_IF_ERROR(ApplyProperties(ctx, meta, purge, i));
    if (!source.location.empty()) {
      IMAGEFS_RETURN_IF_ERROR(RegisterV1Location(ctx, source.location, now, i));
    }
    i.updated_at = now;
    return Status::Ok();
  }));
  if (body) {
    IMAGEFS_ASSIGN_OR_RETURN(img, RunUpload(ctx, req, id, V1UploadOptions(meta)));
  }
  if (!source.copy_from.empty()) {
    IMAGEFS_RETURN_IF_ERROR(StartV1CopyFrom(ctx, req, id, source.copy_from));
    IMAGEFS_ASSIGN_OR_RETURN(img, ctx.catalog.GetImage(id));
  }
  return V1ImageResponse(200, img);
}

Result<http::Response> Delete(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadWritableImage(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "delete_image"));
  if (img.is_protected) return PermissionDenied("Image with identifier " + id + " is protected");
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.DeleteImage(id, ctx.clock.WallMicros()).status());
  if (Status s = ctx.store.Remove(id); !s.ok()) {
    IMAGEFS_LOG(WARN, "image {} deleted but its data was not removed: {}", id, s.ToString());
  }
  return http::Response::Empty(200);
}

// Builds the catalog query of a v1 list (spec 2.4).
Result<ListQuery> V1Query(const ServiceContext& ctx, const http::Request& req) {
  ListQuery q;
  q.caller = req.identity;
  q.member_status.reset();  // shared images whatever the member's answer
  q.ignore_os_hidden = true;
  q.limit = ctx.config.list_limits.default_limit;
  std::optional<std::string> sort_key, sort_dir;
  for (const auto& [k, v] : req.query) {
    if (k == "limit") {
      IMAGEFS_ASSIGN_OR_RETURN(int64_t n, NonNegative("limit", v));
      q.limit = std::min<size_t>(static_cast<size_t>(n), ctx.config.list_limits.max_limit);
    } else if (k == "marker") {
      if (!IsUuid(v)) return InvalidArgument("Invalid marker");
      q.marker = v;
    } else if (k == "sort_key") {
      static const std::set<std::string, std::less<>> kKeys = {
          "name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at"};
      if (kKeys.count(v) == 0) return InvalidArgument("Unsupported sort_key. Acceptable values: name, status, container_format, disk_format, size, id, created_at, updated_at");
      sort_key = v;
    } else if (k == "sort_dir") {
      if (v != "asc" && v != "desc") return InvalidArgument("Unsupported sort_dir. Acceptable values: asc, desc");
      sort_dir = v;
    } else if (k == "size_min" || k == "size_max") {
      IMAGEFS_ASSIGN_OR_RETURN(int64_t n, NonNegative(k, v));
      (k == "size_min" ? q.size_min : q.size_max) = n;
    } else if (k == "min_ram" || k == "min_disk") {
      IMAGEFS_RETURN_IF_ERROR(NonNegative(k, v).status());
      q.filters.push_back({k, ListFilter::Op::kEq, {v}, 0});
    } else if (k == "protected") {
      std::string l = Lower(v);
      if (l != "true" && l != "false" && l != "1" && l != "0") {
        return InvalidArgument("Invalid value for protected: " + v);
      }
      q.is_protected = l == "true" || l == "1";
    } else if (k == "changes-since") {
      Result<int64_t> t = ParseIso(v);
      if (!t.ok()) return InvalidArgument("Unrecognized changes-since value");
      q.changes_since = *t;
      q.filters.push_back({"updated_at", ListFilter::Op::kGte, {v}, *t});
    } else if (k == "is_public") {
      if (!req.identity.is_admin) continue;  // honoured for admins only
      std::string l = Lower(v);
      if (l == "none") {
        q.visibility_all = true;
      } else if (!V1Bool(l)) {
        q.visibility_all = true;
        q.filters.push_back({"visibility", ListFilter::Op::kIn, {"private", "shared", "community"}, 0});
      } else {
        q.caller.is_admin = false;
      }
    } else if (k == "name" || k == "status" || k == "container_format" || k == "disk_format") {
      q.filters.push_back({k, ListFilter::Op::kEq, {v}, 0});
    } else if (k.rfind("property-", 0) == 0) {
      q.filters.push_back({k.substr(9), ListFilter::Op::kEq, {v}, 0});
    }
  }
  if (req.identity.is_admin && !req.QueryParam("is_public")) q.caller.is_admin = false;
  if (sort_key) q.sort.push_back({*sort_key, sort_dir.value_or("desc") == "asc"});
  AppendSortTieBreakers(q.sort, sort_dir.value_or("desc") == "asc");
  return q;
}

Result<http::Response> List(ServiceContext& ctx, http::Request& req, bool detail) {
  IMAGEFS_ASSIGN_OR_RETURN(ListQuery q, V1Query(ctx, req));
  Result<ListPage> page = ctx.catalog.ListImages(q);
  if (!page.ok()) {
    if (page.status().code() == StatusCode::kInvalidArgument) return InvalidArgument("Invalid marker");
    return page.status();
  }
  json::array images;
  for (const auto& img : page->images) {
    if (detail) {
      images.emplace_back(V1ImageJson(img));
    } else {
      images.emplace_back(json::object{
          {"id", img.id},
          {"name", img.name ? json::value(*img.name) : json::value(nullptr)},
          {"disk_format", img.disk_format ? json::value(*img.disk_format) : json::value(nullptr)},
          {"container_format",
           img.container_format ? json::value(*img.container_format) : json::value(nullptr)},
          {"size", img.size.value_or(0)},
          {"checksum", img.checksum ? json::value(*img.checksum) : json::value(nullptr)}});
    }
  }
  return JsonResponse(200, json::object{{"images", std::move(images)}});
}

}  // namespace

bool V1Bool(std::string_view value) {
  std::string l = Lower(value);
  return l == "true" || l == "1" || l == "yes" || l == "on" || l == "y" || l == "t";
}

Result<V1Meta> ParseV1Meta(const http::HeaderList& headers) {
  V1Meta meta;
  for (const auto& [name, value] : headers) {
    std::string lname = Lower(name);
    if (lname.rfind("x-image-meta-", 0) != 0) continue;
    if (lname.rfind("x-image-meta-property-", 0) == 0) {
      std::string key = Underscored(lname.substr(22));
      if (key.empty()) return InvalidArgument("Bad header: " + name);
      meta.properties[key] = value.empty() ? std::nullopt : std::optional<std::string>(value);
      continue;
    }
    std::string field = Underscored(lname.substr(13));
    if (kCoreFields.count(field) == 0) return InvalidArgument("Bad header: " + name);
    meta.core[field] = value;
  }
  return meta;
}

json::object V1ImageJson(const wire::Image& img) {
  auto opt = [](const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
  };
  json::object props;
  for (const auto& [k, v] : img.properties) props[k] = v;
  bool deleted = img.status == wire::ImageStatus::kDeleted;
  return json::object{
      {"id", img.id},
      {"name", opt(img.name)},
      {"status", wire::ToString(img.status)},
      {"size", img.size.value_or(0)},
      {"virtual_size", img.virtual_size ? json::value(*img.virtual_size) : json::value(nullptr)},
      {"disk_format", opt(img.disk_format)},
      {"container_format", opt(img.container_format)},
      {"checksum", opt(img.checksum)},
      {"min_disk", img.min_disk},
      {"min_ram", img.min_ram},
      {"owner", opt(img.owner)},
      {"protected", img.is_protected},
      {"is_public", img.visibility == wire::Visibility::kPublic},
      {"deleted", deleted},
      {"deleted_at", img.deleted_at ? json::value(FormatIsoMicros(*img.deleted_at)) : json::value(nullptr)},
      {"created_at", FormatIsoMicros(img.created_at)},
      {"updated_at", FormatIsoMicros(img.updated_at)},
      {"properties", std::move(props)}};
}

void AddV1Headers(const wire::Image& img, http::Response& r) {
  auto set = [&r](std::string_view field, const std::string& v) {
    r.SetHeader("x-image-meta-" + std::string(field), v);
  };
  set("id", img.id);
  if (img.name) set("name", *img.name);
  if (img.disk_format) set("disk_format", *img.disk_format);
  if (img.container_format) set("container_format", *img.container_format);
  set("size", std::to_string(img.size.value_or(0)));
  if (img.virtual_size) set("virtual_size", std::to_string(*img.virtual_size));
  if (img.checksum) set("checksum", *img.checksum);
  set("created_at", FormatIsoMicros(img.created_at));
  set("updated_at", FormatIsoMicros(img.updated_at));
  if (img.deleted_at) set("deleted_at", FormatIsoMicros(*img.deleted_at));
  set("status", std::string(wire::ToString(img.status)));
  set("is_public", PyBool(img.visibility == wire::Visibility::kPublic));
  set("protected", PyBool(img.is_protected));
  set("deleted", PyBool(img.status == wire::ImageStatus::kDeleted));
  set("min_ram", std::to_string(img.min_ram));
  set("min_disk", std::to_string(img.min_disk));
  if (img.owner) set("owner", *img.owner);
  for (const auto& [k, v] : img.properties) r.SetHeader("x-image-meta-property-" + k, v);
  if (img.checksum) r.SetHeader("ETag", *img.checksum);
}

void AddImagesV1Routes(http::Router& router, ServiceContext& ctx) {
  auto add = [&](std::string_view method, std::string_view pattern, bool reject_body,
                 std::function<Result<http::Response>(http::Request&)> fn) {
    http::RouteOptions o;
    o.reject_body = reject_body;
    o.name = std::string(method) + " " + std::string(pattern);
    router.Add(method, pattern, std::move(fn), o);
  };
  add("GET", "/v1/images", true, [&ctx](http::Request& r) { return List(ctx, r, false); });
  add("GET", "/v1/images/detail", true, [&ctx](http::Request& r) { return List(ctx, r, true); });
  // Glance's v1 router matches /images/detail before /images/{id}: any other method
  // on it is 405 (Allow: GET), not a call on an image with the id "detail".
  for (const char* method : {"HEAD", "PUT", "DELETE", "POST"}) {
    add(method, "/v1/images/detail", false, [](http::Request& r) -> Result<http::Response> {
      return http::ErrorResponse(405, "The method " + r.method + " is not allowed for this resource.")
          .SetHeader("Allow", "GET");
    });
  }
  add("POST", "/v1/images", false, [&ctx](http::Request& r) { return Create(ctx, r); });
  add("HEAD", "/v1/images/{image_id}", true, [&ctx](http::Request& r) { return Head(ctx, r); });
  add("GET", "/v1/images/{image_id}", true, [&ctx](http::Request& r) { return Download(ctx, r); });
  add("PUT", "/v1/images/{image_id}", false, [&ctx](http::Request& r) { return Update(ctx, r); });
  add("DELETE", "/v1/images/{image_id}", true, [&ctx](http::Request& r) { return Delete(ctx, r); });
}

}  // namespace imagefs::service::api
