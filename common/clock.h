// Time sources. Code that waits or times out takes a Clock& so tests can run on a
// ManualClock (tests/testing/manual_clock.h) without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace imagefs {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and backoff.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock microseconds since the Unix epoch, for timestamps.
  virtual int64_t WallMicros() const = 0;
  // Blocks for `d` (a ManualClock advances instead).
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  int64_t WallMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void SleepFor(std::chrono::nanoseconds d) override { std::this_thread::sleep_for(d); }

  // A process-wide instance for main() to inject.
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

}  // namespace imagefs
