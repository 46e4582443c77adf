// Version documents, schemas and the /v2/info discovery calls.
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/image_schema.h"
#include "service/api/routes.h"
#include "service/store/http_store.h"
#include "service/store/store_set.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

// The versions imaged reports (spec 1.1): v2.17 is CURRENT; several stores add
// v2.8 and v2.10-2.13, the image cache v2.14, v2.16 and v2.18 (then CURRENT).
std::vector<std::string_view> Versions(const ServiceContext& ctx) {
  bool multi = ctx.stores != nullptr && ctx.stores->multi_store();
  bool cache = ctx.cache != nullptr;
  std::vector<std::string_view> v;
  if (cache) v.push_back("v2.18");
  v.push_back("v2.17");
  if (cache) v.push_back("v2.16");
  v.push_back("v2.15");
  if (cache) v.push_back("v2.14");
  if (multi) v.insert(v.end(), {"v2.13", "v2.12", "v2.11", "v2.10"});
  v.push_back("v2.9");
  if (multi) v.push_back("v2.8");
  v.insert(v.end(), {"v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"});
  return v;
}

Result<http::Response> InfoImport(ServiceContext& ctx) {
  json::array methods;
  for (const auto& m : ctx.config.import_methods) methods.emplace_back(m);
  return JsonResponse(200, json::object{{"import-methods",
                                         {{"description", "Import methods available."},
                                          {"type", "array"},
                                          {"value", std::move(methods)}}}});
}

json::object StoreJson(ServiceContext& ctx, const std::string& id, bool detail) {
  const StoreInfo* info = ctx.stores != nullptr ? ctx.stores->Info(id) : nullptr;
  json::object s{{"id", id},
                 {"description", info != nullptr ? info->description : "Local directory store"}};
  if (id == ctx.store.id()) s["default"] = "true";
  if (detail) {
    s["type"] = info != nullptr ? info->type : "file";
    s["weight"] = 0;
    s["properties"] = {{"data_dir", info != nullptr ? info->data_dir : "(local)"},
                       {"chunk_size", 65536},
                       {"thin_provisioning", false}};
  }
  return s;
}

// Every store, then the read-only http store of locations.
json::array StoresJson(ServiceContext& ctx, bool detail) {
  json::array out;
  std::vector<std::string> ids = ctx.stores != nullptr ? ctx.stores->ids()
                                                       : std::vector<std::string>{ctx.store.id()};
  for (const auto& id : ids) out.push_back(StoreJson(ctx, id, detail));
  if (ctx.http_store != nullptr) {
    json::object http{{"id", ctx.http_store->id()},
                      {"description", "Read-only store of http locations"},
                      {"read-only", "true"}};
    if (detail) {
      http["type"] = "http";
      http["weight"] = 0;
      http["properties"] = json::object{};
    }
    out.push_back(std::move(http));
  }
  return out;
}

// Usage of the caller's project. Limits are -1: imaged enforces no per-project
// quotas yet (Glance answers {"usage": {}} when its keystone limits are off).
Result<http::Response> InfoUsage(ServiceContext& ctx, const Identity& caller) {
  int64_t bytes = 0, count = 0, uploading = 0;
  ctx.catalog.ForEachImage([&](const wire::Image& img) {
    if (img.status == wire::ImageStatus::kDeleted || !img.owner || *img.owner != caller.project) {
      return;
    }
    ++count;
    bytes += img.size.value_or(0);
    if (img.status == wire::ImageStatus::kSaving || img.status == wire::ImageStatus::kUploading ||
        img.status == wire::ImageStatus::kImporting) {
      ++uploading;
    }
  });
  auto item = [](int64_t usage) { return json::object{{"limit", -1}, {"usage", usage}}; };
  return JsonResponse(200, json::object{{"usage",
                                         {{"image_size_total", item((bytes + (1 << 20) - 1) >> 20)},
                                          {"image_stage_total", item(0)},
                                          {"image_count_total", item(count)},
                                          {"image_count_uploading", item(uploading)}}}});
}

void AddSchema(http::Router& router, std::string_view name, json::value doc) {
  auto body = std::make_shared<std::string>(json::serialize(doc));
  http::RouteOptions o;
  o.reject_body = true;
  o.name = "GET /v2/schemas/" + std::string(name);
  router.Add("GET", "/v2/schemas/" + std::string(name),
             [body](http::Request&) -> Result<http::Response> {
               return http::Response::Json(200, *body);
             },
             o);
}

http::RouteOptions Opts(std::string name) {
  http::RouteOptions o;
  o.reject_body = true;
  o.name = std::move(name);
  return o;
}

}  // namespace

http::Response VersionsResponse(const ServiceContext& ctx, int status, std::string_view base_url) {
  json::array versions;
  std::vector<std::string_view> all = Versions(ctx);
  for (auto v : all) {
    versions.emplace_back(json::object{
        {"id", v},
        {"status", v == all.front() ? "CURRENT" : "SUPPORTED"},
        {"links", {{{"rel", "self"}, {"href", std::string(base_url) + "/v2/"}}}}});
  }
  return JsonResponse(status, json::object{{"versions", std::move(versions)}});
}

void AddDiscoveryRoutes(http::Router& router, ServiceContext& ctx) {
  bool multi = ctx.stores != nullptr && ctx.stores->multi_store();
  AddSchema(router, "image", ImageSchema(multi));
  AddSchema(router, "images", ImagesSchema(multi));
  AddSchema(router, "member", MemberSchema());
  AddSchema(router, "members", MembersSchema());
  AddSchema(router, "task", TaskSchema());
  AddSchema(router, "tasks", TasksSchema());

  router.Add("GET", "/v2/info/import",
             [&ctx](http::Request&) { return InfoImport(ctx); }, Opts("GET /v2/info/import"));
  router.Add("GET", "/v2/info/stores",
             [&ctx](http::Request&) -> Result<http::Response> {
               // Glance answers 404 in single-store mode (spec 1.5.12); tempest's
               // multi-store classes skip themselves on it.
               if (ctx.stores == nullptr || !ctx.stores->multi_store()) {
                 return NotFound("Multi backend is not supported at this site.");
               }
               return JsonResponse(200, json::object{{"stores", StoresJson(ctx, false)}});
             },
             Opts("GET /v2/info/stores"));
  router.Add("GET", "/v2/info/stores/detail",
             [&ctx](http::Request& req) -> Result<http::Response> {
               if (!req.identity.is_admin && !req.identity.HasRole("service")) {
                 return PermissionDenied(
                     "You are not authorized to complete stores_info_detail action.");
               }
               return JsonResponse(200, json::object{{"stores", StoresJson(ctx, true)}});
             },
             Opts("GET /v2/info/stores/detail"));
  router.Add("GET", "/v2/info/usage",
             [&ctx](http::Request& req) { return InfoUsage(ctx, req.identity); },
             Opts("GET /v2/info/usage"));
}

}  // namespace imagefs::service::api
