#include "service/http/router.h"

#include <utility>

#include <boost/container/small_vector.hpp>

namespace imagefs::service::http {
namespace {

// Path segments of "/a/b/" are {"a", "b", ""}: a trailing slash is an empty segment,
// so "/v2/images/" never matches "/v2/images" nor "/v2/images/{id}".
using Segments = boost::container::small_vector<std::string_view, 12>;

Segments SplitPath(std::string_view path) {
  Segments segments;
  if (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  for (;;) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return segments;
    }
    path.remove_prefix(slash + 1);
  }
}

bool IsPlaceholder(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// True when the ", "-separated `list` holds `item`.
bool ListContains(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    size_t comma = list.find(", ");
    if (list.substr(0, comma) == item) {
      return true;
    }
    if (comma == std::string_view::npos) {
      return false;
    }
    list.remove_prefix(comma + 2);
  }
  return false;
}

}  // namespace

struct Router::Route {
  std::string method;
  std::string pattern;  // owns the storage `segments` point into
  std::vector<std::string_view> segments;
  std::vector<bool> placeholder;  // per segment
  Handler handler;
  RouteOptions options;

  // True when `path` fits the pattern; the placeholder values go to `params`.
  bool Matches(const Segments& path, std::vector<std::string>* params) const {
    for (size_t i = 0; i < segments.size(); ++i) {
      if (placeholder[i] ? path[i].empty() : path[i] != segments[i]) {
        return false;
      }
    }
    if (params != nullptr) {
      params->clear();
      for (size_t i = 0; i < segments.size(); ++i) {
        if (placeholder[i]) {
          params->emplace_back(path[i]);
        }
      }
    }
    return true;
  }
};

void Router::Add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  auto route = std::make_shared<Route>();
  route->method = std::string(method);
  route->pattern = std::string(pattern);
  for (std::string_view segment : SplitPath(route->pattern)) {
    route->segments.push_back(segment);
    route->placeholder.push_back(IsPlaceholder(segment));
  }
  route->handler = std::move(handler);
  route->options = std::move(options);
  if (route->options.name.empty()) {
    route->options.name = route->method + " " + route->pattern;
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  const Segments segments = SplitPath(path);
  RouteMatch match;
  for (const auto& route : routes_) {
    if (route->segments.size() != segments.size()) {
      continue;
    }
    if (route->method == method) {
      if (route->Matches(segments, &match.params)) {
        match.handler = &route->handler;
        match.options = &route->options;
        match.allow.clear();
        return match;
      }
      continue;
    }
    if (!route->Matches(segments, nullptr)) {
      continue;
    }
    // The path exists for another method: list it in a 405's Allow header.
    if (!ListContains(match.allow, route->method)) {
      match.allow.append(match.allow.empty() ? "" : ", ").append(route->method);
    }
  }
  return match;
}

}  // namespace imagefs::service::http
