#include "service/auth/token_cache.h"

#include "common/digest.h"

namespace imagefs::service::auth {

TokenCache::TokenCache(TokenCacheOptions options, Clock& clock)
    : options_(options), clock_(clock) {}

std::string TokenCache::KeyOf(std::string_view token) {
  return Sha256Raw(token.data(), token.size());
}

std::optional<Identity> TokenCache::Lookup(std::string_view token) {
  std::string key = KeyOf(token);
  auto now = clock_.Now();
  int64_t wall = clock_.WallMicros();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  EntryList::iterator entry = it->second;
  if (entry->trust_until <= now || entry->expires_at_micros <= wall) {
    lru_.erase(entry);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return entry->identity;
}

void TokenCache::Insert(std::string_view token, Identity identity, int64_t expires_at_micros) {
  if (options_.capacity == 0 || expires_at_micros <= clock_.WallMicros()) return;
  std::string key = KeyOf(token);
  auto trust_until = clock_.Now() + options_.ttl;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(identity), expires_at_micros, trust_until});
  index_.emplace(std::move(key), lru_.begin());
  while (lru_.size() > options_.capacity) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void TokenCache::Erase(std::string_view token) {
  std::string key = KeyOf(token);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
}

size_t TokenCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace imagefs::service::auth
