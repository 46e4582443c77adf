// Parsing of the --keystone FILE document (keystone_authenticator.h).
#include <boost/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "common/wire/image_codec.h"
#include "service/auth/keystone_authenticator.h"

namespace imagefs::service::auth {
namespace json = boost::json;

namespace {

Status Bad(std::string_view key, std::string_view why) {
  return InvalidArgument("keystone config: \"" + std::string(key) + "\" " + std::string(why));
}

Status ReadString(const json::object& o, std::string_view key, bool required, std::string* out) {
  auto it = o.find(key);
  if (it == o.end()) return required ? Bad(key, "is required") : Status::Ok();
  if (!it->value().is_string() || it->value().get_string().empty()) {
    return Bad(key, "must be a non-empty string");
  }
  *out = std::string(it->value().get_string());
  return Status::Ok();
}

// A non-negative number at `key` (seconds, or a count), when present.
Status ReadNumber(const json::object& o, std::string_view key, double* out) {
  auto it = o.find(key);
  if (it == o.end()) return Status::Ok();
  if (!it->value().is_number()) return Bad(key, "must be a number");
  double v = it->value().to_number<double>();
  if (!std::isfinite(v) || v < 0) return Bad(key, "must not be negative");
  *out = v;
  return Status::Ok();
}

Status ReadNumbers(const json::object& o, KeystoneOptions& k) {
  double cache_time = static_cast<double>(k.token_cache_time.count());
  double cache_size = static_cast<double>(k.token_cache_size);
  double timeout = static_cast<double>(k.timeout.count()) / 1000;
  IMAGEFS_RETURN_IF_ERROR(ReadNumber(o, "token_cache_time", &cache_time));
  IMAGEFS_RETURN_IF_ERROR(ReadNumber(o, "token_cache_size", &cache_size));
  IMAGEFS_RETURN_IF_ERROR(ReadNumber(o, "timeout", &timeout));
  if (timeout < 0.1) return Bad("timeout", "must be at least 0.1 seconds");
  k.token_cache_time = std::chrono::seconds(static_cast<int64_t>(cache_time));
  k.token_cache_size = static_cast<size_t>(cache_size);
  k.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  return Status::Ok();
}

}  // namespace

Result<KeystoneOptions> ParseKeystoneOptions(std::string_view json_text) {
  Result<json::value> doc = wire::ParseJson(json_text);
  if (!doc.ok() || !doc->is_object()) return InvalidArgument("keystone config: not a JSON object");
  const json::object& o = doc->get_object();
  KeystoneOptions k;
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "auth_url", true, &k.auth_url));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "username", true, &k.username));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "password", true, &k.password));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "project_name", true, &k.project_name));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "user_domain_name", false, &k.user_domain_name));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "project_domain_name", false, &k.project_domain_name));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "www_authenticate_uri", false, &k.www_authenticate_uri));
  IMAGEFS_RETURN_IF_ERROR(ReadString(o, "region_name", false, &k.region_name));
  IMAGEFS_RETURN_IF_ERROR(ReadNumbers(o, k));
  Result<http::Url> url = http::ParseHttpUrl(k.auth_url);
  if (!url.ok()) return Bad("auth_url", "must be an http:// URL: " + url.status().message());
  return k;
}

Result<KeystoneOptions> LoadKeystoneOptions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read keystone config " + path);
  std::ostringstream s;
  s << in.rdbuf();
  Result<KeystoneOptions> options = ParseKeystoneOptions(s.str());
  if (!options.ok()) return options.status().Annotate(path);
  return options;
}

}  // namespace imagefs::service::auth
