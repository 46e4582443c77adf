// Flight: one operation in progress on blocks of one image version, which other
// callers wait for instead of repeating it (single flight). The operations are a
// fetch of a run of blocks, the first-use verification of a block found on disk, the
// eviction of blocks, and the removal of a version's data file.
//
// Every field is guarded by the cache mutex (DiskBlockCache's IndexHolder::mu), which
// is also the mutex `cv` waits with.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cache/block_cache.h"
#include "cache/mutex.h"
#include "common/status.h"

namespace imagefs::cache {

struct Flight {
  enum class Kind : uint8_t { kFetch, kVerify, kEvict, kRemove };

  // What a fetch run produced for one of its blocks that did not end up in the cache.
  struct Outcome {
    Status status;                     // not OK: the error waiters receive
    std::optional<BlockRef> fallback;  // OK but not cached: the bytes, from a memfd
  };

  Flight(Kind k, Mutex* mu) : kind(k), cv(mu) {}

  // REQUIRES: the cache mutex is held.
  void Finish() {
    done = true;
    cv.SignalAll();
  }

  const Kind kind;
  bool done = false;
  uint32_t waiters = 0;  // callers blocked in Wait
  // kFetch only: the run is [first, first + outcomes.size()); an entry is filled in
  // before `done` for each block that is not present when the run ends.
  uint64_t first = 0;
  std::vector<std::optional<Outcome>> outcomes;
  CondVar cv;
};

}  // namespace imagefs::cache
