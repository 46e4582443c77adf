// Backoff: exponential delays with "equal jitter" (half fixed, half random), so a
// fleet of mounts does not retry in lockstep after the service restarts.
// Not thread-safe; one per operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace imagefs::fs {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;

  // Delays start near `initial` and double up to `max`.
  Backoff(Millis initial, Millis max, uint64_t seed) : cap_(initial), max_(max), rng_(seed) {}

  // The delay before the next attempt: in [cap/2, cap], then cap doubles.
  Millis Next() {
    int64_t cap = cap_.count();
    std::uniform_int_distribution<int64_t> dist(cap / 2, cap);
    Millis d(dist(rng_));
    cap_ = std::min(max_, cap_ * 2);
    return d;
  }

 private:
  Millis cap_;
  Millis max_;
  std::minstd_rand rng_;
};

}  // namespace imagefs::fs
