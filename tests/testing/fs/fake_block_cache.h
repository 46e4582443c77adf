// FakeBlockCache: a simple, honest implementation of cache::BlockCache for the mount's
// tests (and, until cache/ lands, the imagefs binary's stand-in): one file per block
// under `dir/<content_key>/<index>`, SHA-256 verified on store and on first use in
// this process, LRU-bounded by bytes, single-flight per block, persistent across
// restarts (it rescans `dir` when created). Counts fetches for tests. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "cache/block_cache.h"

namespace imagefs::fstest {

struct FakeBlockCacheOptions {
  std::string dir;
  uint64_t capacity_bytes = uint64_t{1} << 30;
};

Result<std::unique_ptr<cache::BlockCache>> NewFakeBlockCache(const FakeBlockCacheOptions& options);

}  // namespace imagefs::fstest
