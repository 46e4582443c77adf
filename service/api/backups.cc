// The backups API (spec section 4) as Cinder's controllers answer it: the
// microversion first (400 malformed, 406 out of range, 404 for a call the version
// lacks), then the project in the URL ("Malformed request url" unless it is the
// caller's, as in Cinder, admins included), then the call. Bodies are checked by
// backup_requests.h, the work is BackupService's, the JSON is backup_view.h's.
// Errors are rendered here, Cinder-style, so they carry the version headers too.
#include "service/api/backups.h"

#include <charconv>
#include <climits>
#include <set>

#include <boost/json.hpp>

#include "common/time_util.h"
#include "common/wire/image_codec.h"
#include "service/api/handler_util.h"
#include "service/api/range.h"
#include "service/backup/backup_codec.h"
#include "service/backup/backup_list.h"
#include "service/backup/backup_requests.h"
#include "service/backup/backup_service.h"
#include "service/backup/backup_view.h"
#include "service/http/error_mapping.h"

namespace imagefs::service::api {
namespace json = boost::json;
using backup::Backup;

namespace {

constexpr int kMaxMinor = 64;
constexpr int kUpdateVersion = 9;
constexpr std::string_view kVersionHeader = "OpenStack-API-Version";
constexpr std::string_view kLegacyVersionHeader = "X-OpenStack-Volume-API-Version";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

http::Response Fault(int status, std::string_view message) {
  return http::ErrorResponse(status, message, http::ErrorStyle::kNova);
}

// The requested microversion's minor number, or the response refusing it.
struct Negotiated {
  int minor = 0;
  std::optional<http::Response> refusal;
};

// The "volume" entry of OpenStack-API-Version ("volume 3.5", maybe among other
// services), else the legacy X-OpenStack-Volume-API-Version value.
std::optional<std::string_view> RequestedVersion(const http::Request& req) {
  if (std::optional<std::string_view> h = req.Header(kVersionHeader)) {
    std::string_view rest = *h;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view part = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      size_t space = part.find(' ');
      if (space != std::string_view::npos && part.substr(0, space) == "volume") {
        return Trim(part.substr(space + 1));
      }
    }
    return std::nullopt;
  }
  if (std::optional<std::string_view> legacy = req.Header(kLegacyVersionHeader)) {
    return Trim(*legacy);
  }
  return std::nullopt;
}

Negotiated Negotiate(const http::Request& req) {
  std::optional<std::string_view> text = RequestedVersion(req);
  if (!text) return {};
  if (*text == "latest") return {kMaxMinor, std::nullopt};
  size_t dot = text->find('.');
  std::string_view major = text->substr(0, dot);
  std::string_view minor = dot == std::string_view::npos ? "" : text->substr(dot + 1);
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos &&
           (s == "0" || s.front() != '0');
  };
  if (!digits(major) || major == "0" || !digits(minor)) {
    return {0, Fault(400, "API Version String " + std::string(*text) +
                              " is of invalid format. Must be of format MajorNum.MinorNum.")};
  }
  int value = INT_MAX;
  std::from_chars(minor.data(), minor.data() + minor.size(), value);  // overflow stays INT_MAX
  if (major != "3" || value > kMaxMinor) {
    return {0, Fault(406, "Version " + std::string(*text) +
                              " is not supported by the API. Minimum is 3.0 and maximum is 3." +
                              std::to_string(kMaxMinor) + ".")};
  }
  return {value, std::nullopt};
}

http::Response WithVersion(http::Response resp, int minor) {
  resp.SetHeader(std::string(kVersionHeader), "volume 3." + std::to_string(minor));
  resp.SetHeader("Vary", std::string(kVersionHeader));
  return resp;
}

// One backups call: the request, its microversion, and where its URL is mounted.
struct Call {
  ServiceContext& ctx;
  http::Request& req;
  backup::BackupService& service;
  int minor;
  std::string prefix;  // "" or "/volume"

  const Identity& caller() const { return req.identity; }
  const std::string& project() const { return req.path_params[0]; }
  const std::string& backup_id() const { return req.path_params[1]; }
  backup::ViewContext View() const {
    return {req.base_url, prefix, project(), minor, req.identity.is_admin};
  }
};

using Fn = Result<http::Response> (*)(Call&);

Status RequireMember(const Call& c, std::string_view policy) {
  if (c.caller().is_admin || c.caller().HasRole("member")) return Status::Ok();
  return PermissionDenied("Policy doesn't allow " + std::string(policy) + " to be performed.");
}

Status RequireAdmin(const Call& c, std::string_view policy) {
  if (c.caller().is_admin) return Status::Ok();
  return PermissionDenied("Policy doesn't allow " + std::string(policy) + " to be performed.");
}

// The backup, unless it is unknown or (for non-admins) another project's.
Result<Backup> LoadBackup(Call& c) {
  Result<Backup> b = c.service.catalog().Get(c.backup_id());
  if (!b.ok() || (!c.caller().is_admin && b->project_id != c.caller().project)) {
    return NotFound("Backup " + c.backup_id() + " could not be found.");
  }
  return b;
}

std::set<std::string> ParentIds(const std::vector<Backup>& all) {
  std::set<std::string> parents;
  for (const Backup& b : all) {
    if (b.parent_id) parents.insert(*b.parent_id);
  }
  return parents;
}

http::Response Summary(int status, const Call& c, const Backup& b) {
  return JsonResponse(status, json::object{{"backup", backup::SummaryView(b, c.View())}});
}

// The request's URL with its marker replaced by `last_id` (Cinder's next link).
std::string NextLink(const Call& c, bool detail, const std::string& last_id) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& kv : c.req.query) {
    if (kv.first != "marker") params.push_back(kv);
  }
  params.emplace_back("marker", last_id);
  return c.req.base_url + c.prefix + "/v3/" + c.project() + "/backups" + (detail ? "/detail" : "") +
         "?" + EncodeQuery(params);
}

Result<http::Response> ListBackups(Call& c, bool detail) {
  backup::BackupListParams params{c.minor, c.caller().is_admin, c.caller().project};
  IMAGEFS_ASSIGN_OR_RETURN(backup::BackupListQuery query,
                           backup::ParseBackupListQuery(c.req.query, params));
  std::vector<Backup> all = c.service.catalog().List();
  std::set<std::string> parents = ParentIds(all);
  IMAGEFS_ASSIGN_OR_RETURN(backup::BackupListPage page,
                           backup::RunBackupList(std::move(all), query));
  json::array items;
  for (const Backup& b : page.backups) {
    items.push_back(detail ? backup::DetailView(b, parents.count(b.id) > 0, c.View())
                           : backup::SummaryView(b, c.View()));
  }
  json::object body{{"backups", std::move(items)}};
  // Cinder: a next link when the page is not empty and the limit is no more than
  // the count (with_count) or the page's length.
  size_t item_count = query.with_count && page.total > 0 ? page.total : page.backups.size();
  if (!page.backups.empty() && query.limit <= item_count) {
    body["backups_links"] = json::array{
        json::object{{"rel", "next"}, {"href", NextLink(c, detail, page.backups.back().id)}}};
  }
  if (query.with_count) body["count"] = page.total;
  return JsonResponse(200, body);
}

Result<http::Response> List(Call& c) { return ListBackups(c, false); }
Result<http::Response> Detail(Call& c) { return ListBackups(c, true); }

Result<http::Response> Show(Call& c) {
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  std::set<std::string> parents = ParentIds(c.service.catalog().List());
  return JsonResponse(
      200, json::object{{"backup", backup::DetailView(b, parents.count(b.id) > 0, c.View())}});
}

Result<http::Response> Create(Call& c) {
  IMAGEFS_RETURN_IF_ERROR(RequireMember(c, "backup:create"));
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(c.ctx, c.req));
  IMAGEFS_ASSIGN_OR_RETURN(backup::CreateBody b, backup::ParseCreateBody(body, c.minor));
  if (b.snapshot_id) return NotFound("Snapshot " + *b.snapshot_id + " could not be found.");
  if (b.availability_zone && *b.availability_zone != c.service.options().availability_zone) {
    return Unavailable("Service cinder-backup could not be found.");
  }
  if (!LoadVisibleImage(c.ctx, c.caller(), b.image_id).ok()) {
    return NotFound("Image " + b.image_id + " could not be found.");
  }
  backup::CreateBackupRequest r;
  r.image_id = b.image_id;
  r.project_id = c.caller().project;
  r.user_id = c.caller().user;
  r.name = b.name;
  r.description = b.description;
  r.container = b.container;
  r.incremental = b.incremental;
  r.metadata = b.metadata;
  IMAGEFS_ASSIGN_OR_RETURN(Backup created, c.service.Create(r));
  return Summary(202, c, created);
}

Result<http::Response> Update(Call& c) {
  IMAGEFS_RETURN_IF_ERROR(RequireMember(c, "backup:update"));
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(c.ctx, c.req));
  IMAGEFS_ASSIGN_OR_RETURN(backup::UpdateBody u, backup::ParseUpdateBody(body, c.minor));
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  int64_t now = c.ctx.clock.WallMicros();
  IMAGEFS_ASSIGN_OR_RETURN(b, c.service.catalog().Update(b.id, [&](Backup& rec) {
    if (u.name) rec.name = *u.name;
    if (u.description) rec.description = *u.description;
    if (u.metadata) rec.metadata = *u.metadata;
    rec.updated_at = now;
    return Status::Ok();
  }));
  return Summary(200, c, b);
}

Result<http::Response> Delete(Call& c) {
  IMAGEFS_RETURN_IF_ERROR(RequireMember(c, "backup:delete"));
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  IMAGEFS_RETURN_IF_ERROR(c.service.Delete(b.id).status());
  return http::Response::Empty(202);
}

Result<http::Response> Restore(Call& c) {
  IMAGEFS_RETURN_IF_ERROR(RequireMember(c, "backup:restore"));
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(c.ctx, c.req));
  IMAGEFS_ASSIGN_OR_RETURN(backup::RestoreBody r, backup::ParseRestoreBody(body));
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  if (b.status != backup::BackupStatus::kAvailable) {
    return InvalidArgument("Backup status must be available");
  }
  if (r.image_id) {
    Result<wire::Image> target = LoadWritableImage(c.ctx, c.caller(), *r.image_id);
    if (!target.ok() && target.status().code() == StatusCode::kNotFound) {
      return NotFound("Image " + *r.image_id + " could not be found.");
    }
    IMAGEFS_RETURN_IF_ERROR(target.status());
  }
  IMAGEFS_ASSIGN_OR_RETURN(backup::RestoreTicket t,
                           c.service.Restore({b.id, r.image_id, r.name, c.caller().project}));
  json::value name = t.image_name ? json::value(*t.image_name) : json::value(nullptr);
  return JsonResponse(202, json::object{{"restore", json::object{{"backup_id", t.backup_id},
                                                                 {"volume_id", t.image_id},
                                                                 {"volume_name", name}}}});
}

// imaged extension: the backup's bytes, with single byte ranges as image downloads
// have them (200, or 206 with Content-Range; 416 with "bytes */size").
Result<http::Response> Data(Call& c) {
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> opened, c.service.OpenData(b.id));
  std::optional<RangeRequest> range;
  if (std::optional<std::string_view> header = c.req.Header("Range")) {
    range = RangeRequest{*header, false};
  }
  std::optional<std::string_view> md5;
  if (!b.image.checksum.empty()) md5 = b.image.checksum;
  return RangedFileResponse(std::move(opened), range, md5, http::ErrorStyle::kNova);
}

// imaged extension: the backup's block map, in the shape of /v2/images/{id}/blocks,
// so that a mount can verify each block it reads of the backup and cache it.
Result<http::Response> Blocks(Call& c) {
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  if (b.status != backup::BackupStatus::kAvailable &&
      b.status != backup::BackupStatus::kRestoring) {
    return InvalidArgument("Backup status must be available and not " +
                           std::string(backup::ToString(b.status)) + ".");
  }
  IMAGEFS_ASSIGN_OR_RETURN(backup::Manifest manifest, c.service.catalog().GetManifest(b.id));
  wire::BlockMap map;
  map.image_id = b.id;
  map.content_key = b.image.os_hash_value;
  map.size = manifest.size;
  map.block_size = manifest.block_size;
  map.digests = std::move(manifest.digests);
  // No crc32c: a manifest holds only the digests (the mount checks those anyway).
  return JsonResponse(200, wire::ToJson(map));
}

Result<http::Response> ExportRecord(Call& c) {
  IMAGEFS_RETURN_IF_ERROR(RequireAdmin(c, "backup:export-import"));
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  IMAGEFS_ASSIGN_OR_RETURN(std::string record, c.service.Export(b.id));
  return JsonResponse(
      200,
      json::object{{"backup-record", json::object{{"backup_service", backup::kBackupServiceName},
                                                  {"backup_url", backup::Base64Encode(record)}}}});
}

Result<http::Response> ImportRecord(Call& c) {
  IMAGEFS_RETURN_IF_ERROR(RequireAdmin(c, "backup:backup-import"));
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(c.ctx, c.req));
  IMAGEFS_ASSIGN_OR_RETURN(backup::ImportBody r, backup::ParseImportBody(body));
  IMAGEFS_ASSIGN_OR_RETURN(
      Backup b, c.service.Import(r.id, r.backup_service, std::move(r.record_json), c.caller()));
  return Summary(201, c, b);
}

Result<http::Response> Action(Call& c) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(c.ctx, c.req));
  IMAGEFS_ASSIGN_OR_RETURN(backup::ActionBody a, backup::ParseActionBody(body));
  std::string policy = "volume_extension:backup_admin_actions:" + a.action.substr(3);
  IMAGEFS_RETURN_IF_ERROR(RequireAdmin(c, policy));
  IMAGEFS_ASSIGN_OR_RETURN(Backup b, LoadBackup(c));
  if (a.action == "os-force_delete") {
    return Fault(405, "Operation not supported: force delete.");
  }
  IMAGEFS_RETURN_IF_ERROR(
      c.service.ResetStatus(b.id, *backup::ParseBackupStatus(a.status)).status());
  return http::Response::Empty(202);
}

// A read-only "volume" view of an image, so Block Storage clients that look the
// volume up before a backup or restore (cinderclient's find_volume) find it.
std::string_view VolumeStatus(wire::ImageStatus s) {
  switch (s) {
    case wire::ImageStatus::kQueued:
    case wire::ImageStatus::kActive:
      return "available";
    case wire::ImageStatus::kSaving:
      return "restoring-backup";
    case wire::ImageStatus::kDeactivated:
      return "maintenance";
    default:
      return "error";
  }
}

Result<http::Response> ShowVolume(Call& c) {
  const std::string& id = c.req.path_params[1];
  Result<wire::Image> img = LoadVisibleImage(c.ctx, c.caller(), id);
  if (!img.ok()) return NotFound("Volume " + id + " could not be found.");
  constexpr int64_t kGiB = int64_t{1} << 30;
  int64_t size = (img->size.value_or(0) + kGiB - 1) / kGiB;
  json::object v{{"id", img->id},
                 {"name", img->name ? json::value(*img->name) : json::value(nullptr)},
                 {"status", VolumeStatus(img->status)},
                 {"size", size},
                 {"availability_zone", c.service.options().availability_zone},
                 {"bootable", "false"},
                 {"volume_type", nullptr},
                 {"attachments", json::array()},
                 {"metadata", json::object()},
                 {"created_at", FormatIsoMicros(img->created_at)}};
  return JsonResponse(200, json::object{{"volume", std::move(v)}});
}

http::Response Run(ServiceContext& ctx, http::Request& req, const std::string& prefix, Fn fn,
                   int min_minor) {
  Negotiated v = Negotiate(req);
  if (v.refusal) return std::move(*v.refusal);
  if (v.minor < min_minor) {
    return WithVersion(Fault(404, "The resource could not be found."), v.minor);
  }
  if (req.path_params.empty() || req.path_params[0] != req.identity.project) {
    return WithVersion(Fault(400, "Malformed request url"), v.minor);
  }
  if (ctx.backups == nullptr) {
    return WithVersion(Fault(503, "Service cinder-backup could not be found."), v.minor);
  }
  Call call{ctx, req, *ctx.backups, v.minor, prefix};
  Result<http::Response> resp = fn(call);
  if (!resp.ok())
    return WithVersion(http::ErrorResponse(resp.status(), http::ErrorStyle::kNova), v.minor);
  return WithVersion(std::move(*resp), v.minor);
}

void Add(http::Router& router, ServiceContext& ctx, const std::string& prefix,
         std::string_view method, const std::string& pattern, Fn fn, int min_minor = 0) {
  http::RouteOptions o;
  o.error_style = http::ErrorStyle::kNova;
  o.name = std::string(method) + " " + pattern;
  router.Add(
      method, pattern,
      [&ctx, prefix, fn, min_minor](http::Request& req) -> Result<http::Response> {
        return Run(ctx, req, prefix, fn, min_minor);
      },
      o);
}

// Cinder's description of its v3 API (GET / answers 300 with a list of it).
json::object VersionEntry(const http::Request& req, const std::string& prefix) {
  return json::object{
      {"id", "v3.0"},
      {"status", "CURRENT"},
      {"version", "3." + std::to_string(kMaxMinor)},
      {"min_version", "3.0"},
      {"updated", "2023-07-17T00:00:00Z"},
      {"links",
       json::array{json::object{{"rel", "describedby"},
                                {"type", "text/html"},
                                {"href", "https://docs.openstack.org/"}},
                   json::object{{"rel", "self"}, {"href", req.base_url + prefix + "/v3/"}}}},
      {"media-types",
       json::array{json::object{{"base", "application/json"},
                                {"type", "application/vnd.openstack.volume+json;version=3"}}}}};
}

void AddVersionRoutes(http::Router& router, const std::string& prefix) {
  http::RouteOptions o;
  o.authenticated = false;
  o.error_style = http::ErrorStyle::kNova;
  auto doc = [prefix](int status) {
    return [prefix, status](http::Request& req) -> Result<http::Response> {
      return JsonResponse(status,
                          json::object{{"versions", json::array{VersionEntry(req, prefix)}}});
    };
  };
  if (!prefix.empty()) {
    router.Add("GET", prefix, doc(300), o);
    router.Add("GET", prefix + "/", doc(300), o);
  }
  router.Add("GET", prefix + "/v3", doc(200), o);
  router.Add("GET", prefix + "/v3/", doc(200), o);
}

}  // namespace

void AddBackupRoutes(http::Router& router, ServiceContext& ctx) {
  for (const std::string prefix : {"", "/volume"}) {
    AddVersionRoutes(router, prefix);
    const std::string base = prefix + "/v3/{project_id}/backups";
    Add(router, ctx, prefix, "GET", base, List);
    Add(router, ctx, prefix, "POST", base, Create);
    Add(router, ctx, prefix, "GET", base + "/detail", Detail);
    Add(router, ctx, prefix, "POST", base + "/import_record", ImportRecord);
    Add(router, ctx, prefix, "GET", base + "/{backup_id}", Show);
    Add(router, ctx, prefix, "PUT", base + "/{backup_id}", Update, kUpdateVersion);
    Add(router, ctx, prefix, "DELETE", base + "/{backup_id}", Delete);
    Add(router, ctx, prefix, "POST", base + "/{backup_id}/restore", Restore);
    Add(router, ctx, prefix, "GET", base + "/{backup_id}/export_record", ExportRecord);
    Add(router, ctx, prefix, "GET", base + "/{backup_id}/data", Data);
    Add(router, ctx, prefix, "GET", base + "/{backup_id}/blocks", Blocks);
    Add(router, ctx, prefix, "POST", base + "/{backup_id}/action", Action);
    Add(router, ctx, prefix, "GET", prefix + "/v3/{project_id}/volumes/{volume_id}", ShowVolume);
  }
}

}  // namespace imagefs::service::api
