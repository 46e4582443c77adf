#include "service/auth/keystone_wire.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "common/time_util.h"
#include "common/wire/image_codec.h"

namespace imagefs::service::auth {
namespace json = boost::json;

namespace {

// The string at `key` of `o`, or "" when absent or not a string.
std::string StringAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return "";
  return std::string(it->value().get_string());
}

const json::object* ObjectAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

std::vector<std::string> RoleNames(const json::object& token) {
  std::vector<std::string> roles;
  auto it = token.find("roles");
  if (it == token.end() || !it->value().is_array()) return roles;
  for (const auto& r : it->value().get_array()) {
    if (!r.is_object()) continue;
    std::string name = StringAt(r.get_object(), "name");
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!name.empty()) roles.push_back(std::move(name));
  }
  return roles;
}

// The endpoint of one catalog entry's list that matches, or "".
std::string MatchEndpoint(const json::object& service, std::string_view region,
                          std::string_view interface) {
  auto endpoints = service.find("endpoints");
  if (endpoints == service.end() || !endpoints->value().is_array()) return "";
  for (const auto& e : endpoints->value().get_array()) {
    if (!e.is_object()) continue;
    const json::object& ep = e.get_object();
    bool region_ok = region.empty() || StringAt(ep, "region_id") == region ||
                     StringAt(ep, "region") == region;
    if (region_ok && StringAt(ep, "interface") == interface) return StringAt(ep, "url");
  }
  return "";
}

}  // namespace

std::string PasswordAuthBody(const KeystoneOptions& options) {
  json::object user{{"name", options.username},
                    {"domain", {{"name", options.user_domain_name}}},
                    {"password", options.password}};
  json::object scope{{"project",
                      {{"name", options.project_name},
                       {"domain", {{"name", options.project_domain_name}}}}}};
  json::object auth{{"identity", {{"methods", json::array{"password"}},
                                  {"password", {{"user", std::move(user)}}}}},
                    {"scope", std::move(scope)}};
  return json::serialize(json::object{{"auth", std::move(auth)}});
}

Result<TokenInfo> ParseTokenBody(std::string_view body) {
  Result<json::value> doc = wire::ParseJson(body);
  if (!doc.ok() || !doc->is_object()) return InvalidArgument("Keystone token body is not JSON");
  const json::object* token = ObjectAt(doc->get_object(), "token");
  if (token == nullptr) return InvalidArgument("Keystone token body has no \"token\"");
  Result<int64_t> expires = ParseIso(StringAt(*token, "expires_at"));
  if (!expires.ok()) return InvalidArgument("Keystone token body has no valid expires_at");
  TokenInfo info;
  info.expires_at_micros = *expires;
  if (const json::object* user = ObjectAt(*token, "user")) info.identity.user = StringAt(*user, "id");
  if (const json::object* project = ObjectAt(*token, "project")) {
    info.identity.project = StringAt(*project, "id");
  }
  info.identity.roles = RoleNames(*token);
  info.identity.is_admin = info.identity.HasRole("admin");
  return info;
}

Result<std::string> FindInCatalog(std::string_view body, std::string_view service_type,
                                  std::string_view region, std::string_view interface) {
  Result<json::value> doc = wire::ParseJson(body);
  if (!doc.ok() || !doc->is_object()) return InvalidArgument("Keystone catalog is not JSON");
  auto catalog = doc->get_object().find("catalog");
  if (catalog == doc->get_object().end() || !catalog->value().is_array()) {
    return InvalidArgument("Keystone catalog body has no \"catalog\"");
  }
  for (const auto& s : catalog->value().get_array()) {
    if (!s.is_object() || StringAt(s.get_object(), "type") != service_type) continue;
    std::string url = MatchEndpoint(s.get_object(), region, interface);
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.empty()) return url;
  }
  return NotFound("no " + std::string(interface) + " endpoint of service type " +
                  std::string(service_type) + " in region '" + std::string(region) + "'");
}

}  // namespace imagefs::service::auth
