// Keystone mode: X-Auth-Token validated by a Keystone v3 identity service, as
// keystonemiddleware does it for Glance (docs/api.md, "Keystone mode").
//
//  * imaged logs in as its own service user (POST /v3/auth/tokens, password,
//    project-scoped) and keeps that token until shortly before its expires_at.
//  * An incoming token is looked up in a TokenCache; on a miss it is validated with
//    GET /v3/auth/tokens?nocatalog (X-Auth-Token: the service token,
//    X-Subject-Token: the caller's token):
//      200  -> the identity: project id (the owner of what the caller creates), user
//              id, lower-cased role names, admin when a role is "admin"; cached until
//              the token's expires_at, at most `token_cache_time`;
//      404  -> Unauthenticated (invalid, expired or revoked token);
//      401  -> Keystone refused the service token: log in again, retry once.
//  * Keystone unreachable, slow past `timeout`, or answering 5xx -> Unavailable (503
//    "The Keystone service is temporarily unavailable."), one log line per
//    10 seconds; tokens already cached keep working meanwhile.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "service/auth/authenticator.h"
#include "service/auth/token_cache.h"
#include "service/http/client.h"

namespace imagefs::service::auth {

// The --keystone FILE document (JSON). Keys: auth_url, username, password,
// project_name (required); user_domain_name, project_domain_name (default
// "Default"); www_authenticate_uri, region_name, token_cache_time (seconds),
// token_cache_size, timeout (seconds, float allowed).
struct KeystoneOptions {
  std::string auth_url;  // "http://127.0.0.1:5000" (a trailing "/v3" is accepted)
  std::string username;
  std::string password;
  std::string project_name;
  std::string user_domain_name = "Default";     // Default: "Default"
  std::string project_domain_name = "Default";  // Default: "Default"
  // Named in WWW-Authenticate on a 401. Default: auth_url without "/v3".
  std::string www_authenticate_uri;
  // Region of the endpoints imaged looks up (glance-download). Default: any.
  std::string region_name;
  // Longest trust in a validation: a token revoked in Keystone keeps working
  // here this long at most (keystonemiddleware's token_cache_time). Default: 300 s.
  std::chrono::seconds token_cache_time{300};
  // Most validated tokens cached. Default: 10000.
  size_t token_cache_size = 10000;
  // Bound on each call to Keystone (connect, and each read or write). Default: 5 s.
  std::chrono::milliseconds timeout{5000};
};

// Parses the document. InvalidArgument names the missing or malformed key.
Result<KeystoneOptions> ParseKeystoneOptions(std::string_view json_text);
// Reads and parses FILE. NotFound when it cannot be read.
Result<KeystoneOptions> LoadKeystoneOptions(const std::string& path);

// Where services are, as the identity service's catalog says.
class EndpointCatalog {
 public:
  virtual ~EndpointCatalog() = default;
  // The URL of `service_type` at `interface` ("public", ...) in `region`, from the
  // catalog `token` sees. NotFound when the catalog has none; Unauthenticated for a
  // bad token; Unavailable when the identity service cannot be reached.
  virtual Result<std::string> FindEndpoint(std::string_view token, std::string_view service_type,
                                           std::string_view region,
                                           std::string_view interface) = 0;
};

class KeystoneAuthenticator final : public Authenticator, public EndpointCatalog {
 public:
  // Does not contact Keystone (the first request does): imaged starts while Keystone
  // is down and recovers when it returns.
  KeystoneAuthenticator(KeystoneOptions options, Clock& clock);

  // Authenticator
  Result<Identity> Authenticate(std::string_view token) override;
  std::string Challenge() const override;

  // EndpointCatalog
  Result<std::string> FindEndpoint(std::string_view token, std::string_view service_type,
                                   std::string_view region, std::string_view interface) override;

  // Logs in now (for a startup log line). Errors as Authenticate's Keystone errors.
  Status LogIn();

 private:
  struct ServiceToken {
    std::string token;
    int64_t expires_at_micros = 0;
  };

  // The service token, logging in when there is none or it is about to expire;
  // `refused` (a token Keystone just answered 401 for) forces a new login unless
  // another thread already replaced it.
  Result<std::string> ServiceTokenFor(const std::string& refused);
  Result<ServiceToken> LogInNow();
  // One validation call. NotFound: Keystone does not know the token.
  Result<http::ClientResponse> Validate(std::string_view token, const std::string& service_token);
  Result<Identity> ValidateAndCache(std::string_view token);
  // Turns a failed call into Unavailable, logging at most once per 10 s.
  Status KeystoneDown(const Status& cause, std::string_view what);

  const KeystoneOptions options_;
  Clock& clock_;
  const std::string base_url_;  // auth_url without "/v3" and trailing '/'
  http::HttpClient client_;
  TokenCache cache_;

  std::mutex login_mu_;  // held while logging in; acquired before mu_
  std::mutex mu_;
  ServiceToken service_token_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_down_log_ GUARDED_BY(mu_);
};

}  // namespace imagefs::service::auth
