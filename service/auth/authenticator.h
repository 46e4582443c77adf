// Authenticator: turns a request's X-Auth-Token into an Identity.
//
// Implementations: a tokens file (the embedded default for real use), the
// single-project demo mode (no tokens at all), and, later, Keystone validation.
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/identity.h"

namespace imagefs::service::auth {

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The identity behind `token` (empty when the request carried none).
  // Unauthenticated when the token is missing, unknown or expired; Unavailable when
  // the identity service cannot be reached.
  virtual Result<Identity> Authenticate(std::string_view token) = 0;

  // Value of the WWW-Authenticate header sent with a 401 ("" for none).
  virtual std::string Challenge() const { return ""; }
};

// Demo mode: every request acts as `identity`, with or without a token.
std::unique_ptr<Authenticator> NewDemoAuthenticator(Identity identity);

// The identity demo mode uses: project and user "demo", roles admin, member, reader.
Identity DemoIdentity();

// Tokens file, a JSON document:
//   {"tokens": {"<token>": {"project": "<id>", "user": "<id>", "roles": ["member", "reader"]}}}
// Role "admin" makes the identity admin; roles are lower-cased; an entry without
// "roles" gets ["member", "reader"]; "user" defaults to "<project>-user". The file is read at
// start and read again when its modification time changes (checked at most once a
// second), so tokens can be added or revoked without a restart; a file that no
// longer parses keeps the previous tokens and logs an error.
// InvalidArgument/NotFound when the file is unreadable or malformed at start.
Result<std::unique_ptr<Authenticator>> LoadTokensFile(const std::string& path);

// Parses the tokens document (exposed for tests).
struct TokenTable;
Result<std::shared_ptr<const TokenTable>> ParseTokens(std::string_view json_text);

}  // namespace imagefs::service::auth
