// The JSON of Keystone's v3 token API, as KeystoneAuthenticator sends and reads it.
// Internal to service/auth/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/auth/keystone_authenticator.h"
#include "service/identity.h"

namespace imagefs::service::auth {

// The body of POST /v3/auth/tokens: password method, scoped to the project.
std::string PasswordAuthBody(const KeystoneOptions& options);

// What a token body ({"token": {...}}) says.
struct TokenInfo {
  Identity identity;  // project id, user id, lower-cased roles, is_admin
  int64_t expires_at_micros = 0;
};

// Parses a token body. InvalidArgument when it is not one (no token.expires_at).
Result<TokenInfo> ParseTokenBody(std::string_view body);

// The URL of `service_type` at `interface` in `region` ("" = any) in a catalog
// body ({"catalog": [...]}, GET /v3/auth/catalog), without a trailing '/'.
// NotFound when there is none; InvalidArgument for a malformed body.
Result<std::string> FindInCatalog(std::string_view body, std::string_view service_type,
                                  std::string_view region, std::string_view interface);

}  // namespace imagefs::service::auth
