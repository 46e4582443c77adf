// Version documents, schemas and the /v2/info discovery calls.
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/image_schema.h"
#include "service/api/routes.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

// Glance (no image cache, one store) reports these; v2.17 is CURRENT.
constexpr std::string_view kVersions[] = {"v2.17", "v2.15", "v2.9", "v2.7", "v2.6", "v2.5",
                                          "v2.4",  "v2.3",  "v2.2", "v2.1", "v2.0"};

Result<http::Response> InfoImport(ServiceContext& ctx) {
  json::array methods;
  for (const auto& m : ctx.config.import_methods) methods.emplace_back(m);
  return JsonResponse(200, json::object{{"import-methods",
                                         {{"description", "Import methods available."},
                                          {"type", "array"},
                                          {"value", std::move(methods)}}}});
}

json::object StoreJson(ServiceContext& ctx, bool detail) {
  json::object s{{"id", ctx.store.id()},
                 {"description", "Local directory store"},
                 {"default", "true"}};
  if (detail) {
    s["type"] = "file";
    s["weight"] = 0;
    s["properties"] = {{"data_dir", "(local)"}, {"chunk_size", 65536},
                       {"thin_provisioning", false}};
  }
  return s;
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

http::Response VersionsResponse(const ServiceContext&, int status, std::string_view base_url) {
  json::array versions;
  for (auto v : kVersions) {
    versions.emplace_back(json::object{
        {"id", v},
        {"status", v == kVersions[0] ? "CURRENT" : "SUPPORTED"},
        {"links", {{{"rel", "self"}, {"href", std::string(base_url) + "/v2/"}}}}});
  }
  return JsonResponse(status, json::object{{"versions", std::move(versions)}});
}

void AddDiscoveryRoutes(http::Router& router, ServiceContext& ctx) {
  AddSchema(router, "image", ImageSchema(false));
  AddSchema(router, "images", ImagesSchema(false));
  AddSchema(router, "member", MemberSchema());
  AddSchema(router, "members", MembersSchema());
  AddSchema(router, "task", TaskSchema());
  AddSchema(router, "tasks", TasksSchema());

  router.Add("GET", "/v2/info/import",
             [&ctx](http::Request&) { return InfoImport(ctx); }, Opts("GET /v2/info/import"));
  router.Add("GET", "/v2/info/stores",
             [&ctx](http::Request&) -> Result<http::Response> {
               return JsonResponse(200, json::object{{"stores", {StoreJson(ctx, false)}}});
             },
             Opts("GET /v2/info/stores"));
  router.Add("GET", "/v2/info/stores/detail",
             [&ctx](http::Request& req) -> Result<http::Response> {
               if (!req.identity.is_admin && !req.identity.HasRole("service")) {
                 return PermissionDenied(
                     "You are not authorized to complete stores_info_detail action.");
               }
               return JsonResponse(200, json::object{{"stores", {StoreJson(ctx, true)}}});
             },
             Opts("GET /v2/info/stores/detail"));
  router.Add("GET", "/v2/info/usage",
             [&ctx](http::Request& req) { return InfoUsage(ctx, req.identity); },
             Opts("GET /v2/info/usage"));
}

}  // namespace imagefs::service::api
