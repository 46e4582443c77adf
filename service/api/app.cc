#include "service/api/app.h"

#include <chrono>

#include "common/log.h"
#include "common/uuid.h"
#include "service/api/backups.h"
#include "service/api/images_v1.h"
#include "service/api/imports.h"
#include "service/api/routes.h"
#include "service/http/error_mapping.h"

namespace imagefs::service::api {
namespace {

// The first path segment's version prefixes that route to the v2 handlers: /v2.N/...
bool IsV2Alias(std::string_view segment) {
  if (segment.size() < 4 || segment.substr(0, 3) != "v2.") return false;
  for (char c : segment.substr(3)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Rewrites /v2.N/<area>/... to /v2/<area>/...; other paths are left alone.
void NormalizeVersionPrefix(std::string& path) {
  if (path.size() < 2 || path[0] != '/') return;
  size_t end = path.find('/', 1);
  if (end == std::string::npos) return;
  std::string_view first(path.data() + 1, end - 1);
  if (!IsV2Alias(first)) return;
  size_t next = path.find('/', end + 1);
  std::string_view area(path.data() + end + 1,
                        (next == std::string::npos ? path.size() : next) - end - 1);
  if (area == "images" || area == "schemas" || area == "info" || area == "tasks" ||
      area == "stores" || area == "cache" || area == "metadefs") {
    path.replace(1, end - 1, "v2");
  }
}

// Paths whose first segment belongs to an API this server speaks; anything else
// gets the versions document (300), as Glance's version negotiation does.
bool IsKnownApiPrefix(std::string_view path) {
  size_t end = path.find('/', 1);
  std::string_view first = path.substr(1, end == std::string_view::npos ? end : end - 1);
  return first == "v1" || first == "v2" || first == "v2.1" || first == "v3" || first == "volume";
}

std::string RequestIdFor(const http::Request& req) {
  if (auto given = req.Header("X-Openstack-Request-Id"); given && !given->empty() &&
                                                         given->size() <= 128) {
    if (given->substr(0, 4) == "req-") return std::string(*given);
    return "req-" + std::string(*given);
  }
  return "req-" + NewUuid();
}

}  // namespace

ImagedApp::ImagedApp(ServiceContext& ctx, std::unique_ptr<auth::Authenticator> authenticator)
    : ctx_(ctx), authenticator_(std::move(authenticator)) {
  AddDiscoveryRoutes(router_, ctx_);
  AddImageRoutes(router_, ctx_);
  AddImageDataRoutes(router_, ctx_);
  AddMemberRoutes(router_, ctx_);
  AddImagesV1Routes(router_, ctx_);
  AddMembersV1Routes(router_, ctx_);
  AddComputeImageRoutes(router_, ctx_);
  AddInteropRoutes(router_, ctx_);
  AddBackupRoutes(router_, ctx_);
}

http::Response ImagedApp::Handle(http::Request& req) {
  auto start = std::chrono::steady_clock::now();
  req.request_id = RequestIdFor(req);
  std::string route_name;
  std::string error;
  http::Response resp = Dispatch(req, &route_name, &error);
  resp.SetHeader("X-Openstack-Request-Id", req.request_id);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  uint64_t bytes = resp.file ? resp.file_length : resp.body.size();
  if (route_name.empty()) route_name = req.method + " " + req.path;
  if (error.empty()) {
    IMAGEFS_LOG(INFO, "{} {} {}B {}us {} project={}", route_name, resp.status, bytes, micros,
                req.request_id, req.identity.project);
  } else {
    IMAGEFS_LOG(INFO, "{} {} {}B {}us {} project={} error=\"{}\"", route_name, resp.status,
                bytes, micros, req.request_id, req.identity.project, error);
  }
  return resp;
}

http::Response ImagedApp::Dispatch(http::Request& req, std::string* route_name,
                                   std::string* error) {
  NormalizeVersionPrefix(req.path);
  if (req.path == "/" || req.path.empty()) return VersionsResponse(ctx_, 300, req.base_url);
  if (req.path == "/versions") return VersionsResponse(ctx_, 200, req.base_url);
  if (req.path == "/healthcheck") {
    http::Response r;
    r.body = "OK";
    r.SetHeader("Content-Type", "text/plain");
    return r;
  }
  http::RouteMatch match = router_.Match(req.method, req.path);
  if (match.handler == nullptr) {
    if (!match.allow.empty()) {
      std::string m = "The method " + req.method + " is not allowed for this resource.";
      *error = m;
      return http::ErrorResponse(405, m).SetHeader("Allow", match.allow);
    }
    if (!IsKnownApiPrefix(req.path)) return VersionsResponse(ctx_, 300, req.base_url);
    *error = "The resource could not be found.";
    return http::ErrorResponse(404, *error);
  }
  const http::RouteOptions& opts = *match.options;
  *route_name = opts.name;
  req.path_params = std::move(match.params);
  if (opts.reject_body && req.body->present()) {
    *error = "A body is not expected with this request.";
    return http::ErrorResponse(400, *error, opts.error_style);
  }
  if (opts.authenticated) {
    std::string token(req.Header("X-Auth-Token").value_or(""));
    Result<Identity> id = authenticator_->Authenticate(token);
    if (!id.ok()) {
      *error = id.status().message();
      http::Response r = http::ErrorResponse(id.status(), opts.error_style);
      std::string challenge = authenticator_->Challenge();
      if (!challenge.empty() && id.status().code() == StatusCode::kUnauthenticated) {
        r.SetHeader("WWW-Authenticate", challenge);
      }
      return r;
    }
    req.identity = std::move(*id);
  }
  Result<http::Response> resp = (*match.handler)(req);
  if (!resp.ok()) {
    *error = resp.status().message();
    return http::ErrorResponse(resp.status(), opts.error_style);
  }
  return std::move(*resp);
}

}  // namespace imagefs::service::api
