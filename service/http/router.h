// Router: maps (method, path) to a handler. Patterns are literal segments and
// {placeholders}, e.g. "/v2/images/{image_id}/file"; placeholders match one non-empty
// segment and land in Request::path_params in order.
//
// Dispatch outcomes: a match runs the handler; a path that matches some pattern
// but not the method gives 405 with an `Allow` header listing that path's methods;
// no match gives 404 (or the fallback handler, when set).
// Not thread-safe to modify; Dispatch is safe concurrently once built.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/http/message.h"

namespace imagefs::service::http {

struct RouteOptions {
  ErrorStyle error_style = ErrorStyle::kGlance;
  // Refuse a request body with 400 "A body is not expected with this request."
  // (Glance's body_reject routes).
  bool reject_body = false;
  // Authentication required (else the handler runs with an empty identity).
  bool authenticated = true;
  // Route template for the access log, e.g. "GET /v2/images/{image_id}".
  std::string name;
};

struct RouteMatch {
  const Handler* handler = nullptr;  // null: no route (see allow / not_found)
  const RouteOptions* options = nullptr;
  std::vector<std::string> params;
  std::string allow;  // non-empty when the path matched but not the method: "GET, PATCH"
};

class Router {
 public:
  void Add(std::string_view method, std::string_view pattern, Handler handler,
           RouteOptions options = {});

  // Matches `path` (decoded, without query) for `method`.
  RouteMatch Match(std::string_view method, std::string_view path) const;

 private:
  struct Route;
  std::vector<std::shared_ptr<Route>> routes_;
};

}  // namespace imagefs::service::http
