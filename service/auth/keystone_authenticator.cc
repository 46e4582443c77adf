#include "service/auth/keystone_authenticator.h"

#include "common/log.h"
#include "service/auth/keystone_wire.h"

namespace imagefs::service::auth {
namespace {

// The service token is replaced this long before it expires.
constexpr std::chrono::seconds kRefreshMargin{60};
// At most one "Keystone unreachable" log line per this interval.
constexpr std::chrono::seconds kDownLogInterval{10};
// Largest Keystone answer read (a catalog of a big cloud fits).
constexpr size_t kMaxKeystoneBody = size_t{4} << 20;

// auth_url without trailing slashes and without a trailing "/v3".
std::string BaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v3") == 0) url.resize(url.size() - 3);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

http::ClientOptions ClientOptionsFor(const KeystoneOptions& options) {
  http::ClientOptions c;
  c.connect_timeout = options.timeout;
  c.io_timeout = options.timeout;
  c.max_body_bytes = kMaxKeystoneBody;
  c.keep_alive = true;
  return c;
}

Result<http::ClientRequest> KeystoneRequest(const std::string& base, std::string method,
                                            std::string_view path) {
  IMAGEFS_ASSIGN_OR_RETURN(http::Url url, http::ParseHttpUrl(base + std::string(path)));
  http::ClientRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers = {{"Accept", "application/json"}};
  return req;
}

}  // namespace

KeystoneAuthenticator::KeystoneAuthenticator(KeystoneOptions options, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      base_url_(BaseUrl(options_.auth_url)),
      client_(ClientOptionsFor(options_)),
      cache_(TokenCacheOptions{options_.token_cache_size, options_.token_cache_time}, clock) {}

std::string KeystoneAuthenticator::Challenge() const {
  std::string uri = options_.www_authenticate_uri.empty() ? base_url_ : options_.www_authenticate_uri;
  return "Keystone uri=\"" + uri + "\"";
}

Result<Identity> KeystoneAuthenticator::Authenticate(std::string_view token) {
  if (token.empty()) return Unauthenticated("Authentication required: no X-Auth-Token");
  if (std::optional<Identity> cached = cache_.Lookup(token)) return std::move(*cached);
  return ValidateAndCache(token);
}

Result<Identity> KeystoneAuthenticator::ValidateAndCache(std::string_view token) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string service, ServiceTokenFor(""));
  Result<http::ClientResponse> r = Validate(token, service);
  if (r.ok() && r->status == 401) {  // our own token was refused: log in again, once
    IMAGEFS_LOG(INFO, "keystone refused imaged's service token; logging in again");
    IMAGEFS_ASSIGN_OR_RETURN(service, ServiceTokenFor(service));
    r = Validate(token, service);
  }
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kInvalidArgument) return Unauthenticated("Invalid token");
    return KeystoneDown(r.status(), "validating a token");
  }
  if (r->status == 404) return Unauthenticated("Invalid, expired or revoked token");
  if (r->status != 200) {
    return KeystoneDown(Unavailable("HTTP " + std::to_string(r->status) + ": " +
                                    r->body.substr(0, 200)),
                        "validating a token");
  }
  Result<TokenInfo> info = ParseTokenBody(r->body);
  if (!info.ok()) return KeystoneDown(info.status(), "validating a token");
  if (info->expires_at_micros <= clock_.WallMicros()) return Unauthenticated("Expired token");
  cache_.Insert(token, info->identity, info->expires_at_micros);
  return std::move(info->identity);
}

Result<http::ClientResponse> KeystoneAuthenticator::Validate(std::string_view token,
                                                             const std::string& service_token) {
  IMAGEFS_ASSIGN_OR_RETURN(http::ClientRequest req,
                           KeystoneRequest(base_url_, "GET", "/v3/auth/tokens?nocatalog"));
  req.headers.emplace_back("X-Auth-Token", service_token);
  req.headers.emplace_back("X-Subject-Token", std::string(token));
  return client_.Send(req);
}

Result<std::string> KeystoneAuthenticator::ServiceTokenFor(const std::string& refused) {
  auto usable = [&](const ServiceToken& t) REQUIRES(mu_) {
    int64_t margin = std::chrono::microseconds(kRefreshMargin).count();
    return !t.token.empty() && t.token != refused &&
           t.expires_at_micros - margin > clock_.WallMicros();
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (usable(service_token_)) return service_token_.token;
  }
  std::lock_guard<std::mutex> login(login_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);  // another thread may have logged in meanwhile
    if (usable(service_token_)) return service_token_.token;
  }
  IMAGEFS_ASSIGN_OR_RETURN(ServiceToken fresh, LogInNow());
  std::lock_guard<std::mutex> lock(mu_);
  service_token_ = fresh;
  return service_token_.token;
}

Status KeystoneAuthenticator::LogIn() { return ServiceTokenFor("").status(); }

Result<KeystoneAuthenticator::ServiceToken> KeystoneAuthenticator::LogInNow() {
  IMAGEFS_ASSIGN_OR_RETURN(http::ClientRequest req,
                           KeystoneRequest(base_url_, "POST", "/v3/auth/tokens?nocatalog"));
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = PasswordAuthBody(options_);
  Result<http::ClientResponse> r = client_.Send(req);
  if (!r.ok()) return KeystoneDown(r.status(), "logging in");
  if (r->status != 201) {
    return KeystoneDown(Unavailable("HTTP " + std::to_string(r->status) + " for user '" +
                                    options_.username + "' in project '" +
                                    options_.project_name + "'"),
                        "logging in");
  }
  std::optional<std::string_view> token = r->Header("X-Subject-Token");
  Result<TokenInfo> info = ParseTokenBody(r->body);
  if (!token || token->empty() || !info.ok()) {
    return KeystoneDown(Unavailable("no token in Keystone's answer"), "logging in");
  }
  IMAGEFS_LOG(INFO, "keystone: logged in to {} as {} (project {}); token expires at {}", base_url_,
              options_.username, options_.project_name, info->expires_at_micros / 1000000);
  return ServiceToken{std::string(*token), info->expires_at_micros};
}

Result<std::string> KeystoneAuthenticator::FindEndpoint(std::string_view token,
                                                        std::string_view service_type,
                                                        std::string_view region,
                                                        std::string_view interface) {
  IMAGEFS_ASSIGN_OR_RETURN(http::ClientRequest req,
                           KeystoneRequest(base_url_, "GET", "/v3/auth/catalog"));
  req.headers.emplace_back("X-Auth-Token", std::string(token));
  Result<http::ClientResponse> r = client_.Send(req);
  if (!r.ok()) return KeystoneDown(r.status(), "reading the service catalog");
  if (r->status == 401 || r->status == 404) return Unauthenticated("Invalid token");
  if (r->status != 200) {
    return KeystoneDown(Unavailable("HTTP " + std::to_string(r->status)),
                        "reading the service catalog");
  }
  return FindInCatalog(r->body, service_type, region, interface);
}

Status KeystoneAuthenticator::KeystoneDown(const Status& cause, std::string_view what) {
  auto now = clock_.Now();
  bool log = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (now - last_down_log_ >= kDownLogInterval) {
      last_down_log_ = now;
      log = true;
    }
  }
  if (log) {
    IMAGEFS_LOG(ERROR, "keystone at {} unavailable while {}: {} (answering 503)", base_url_, what,
                cause.ToString());
  }
  return Unavailable("The Keystone service is temporarily unavailable.");
}

}  // namespace imagefs::service::auth
