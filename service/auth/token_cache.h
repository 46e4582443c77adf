// TokenCache: identities of tokens an identity service confirmed, so most requests
// need no validation call. Keyed by the SHA-256 of the token (the cache never holds
// a token itself), bounded (least recently used entries go first), and each entry
// expires at the earlier of its token's own expiry and `ttl` after validation: a
// token revoked upstream stops working here within `ttl` at most.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "service/identity.h"

namespace imagefs::service::auth {

struct TokenCacheOptions {
  // Most entries kept. Default: 10000.
  size_t capacity = 10000;
  // Longest time an entry is trusted (keystonemiddleware's token_cache_time).
  // Default: 300 s.
  std::chrono::seconds ttl{300};
};

class TokenCache {
 public:
  TokenCache(TokenCacheOptions options, Clock& clock);
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // The identity of `token` when a live entry exists (an expired one is dropped).
  std::optional<Identity> Lookup(std::string_view token);

  // Remembers `identity` for `token`, which expires at `expires_at_micros` (wall
  // clock, microseconds since the epoch). Nothing is stored for a token already
  // expired or a capacity of 0.
  void Insert(std::string_view token, Identity identity, int64_t expires_at_micros);

  void Erase(std::string_view token);
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    Identity identity;
    int64_t expires_at_micros;                       // the token's own expiry (wall)
    std::chrono::steady_clock::time_point trust_until;  // validation time + ttl
  };
  using EntryList = std::list<Entry>;

  static std::string KeyOf(std::string_view token);

  const TokenCacheOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  EntryList lru_ GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::string, EntryList::iterator> index_ GUARDED_BY(mu_);
};

}  // namespace imagefs::service::auth
