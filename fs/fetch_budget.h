// FetchBudget: the bytes of fetched data the mount may hold in flight at once
// (mount option max_inflight). Read-ahead asks with TryAcquire and shrinks when
// refused; a read that needs bytes now waits (up to a deadline) for its share.
// A request larger than the whole budget is clamped to it, so it runs alone.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "common/thread_annotations.h"

namespace imagefs::fs {

class FetchBudget {
 public:
  explicit FetchBudget(uint64_t capacity) : capacity_(capacity) {}
  FetchBudget(const FetchBudget&) = delete;
  FetchBudget& operator=(const FetchBudget&) = delete;

  // Holds `bytes` of the budget until destroyed (or Release()d). Movable.
  class Lease {
   public:
    Lease() = default;
    Lease(FetchBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    Lease(Lease&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.budget_ = nullptr; }
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

    void Release();
    uint64_t bytes() const { return budget_ != nullptr ? bytes_ : 0; }

   private:
    FetchBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // Takes `bytes` if available now; an empty (bytes() == 0) lease otherwise.
  Lease TryAcquire(uint64_t bytes);

  // Waits until `bytes` are available or `deadline` passes; false on timeout.
  bool Acquire(uint64_t bytes, std::chrono::steady_clock::time_point deadline, Lease* out);

  uint64_t capacity() const { return capacity_; }
  uint64_t in_use() const;

 private:
  void Return(uint64_t bytes);
  uint64_t Clamp(uint64_t bytes) const { return bytes < capacity_ ? bytes : capacity_; }

  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t used_ GUARDED_BY(mu_) = 0;
};

}  // namespace imagefs::fs
