// Test doubles for the block cache: an image held in memory with its ImageLayout, and
// a FaultyFetcher over it (LevelDB's ErrorEnv in spirit) that counts calls and can add
// latency, fail the Nth call, return corrupt or short bytes, or run a hook (to hold a
// fetch open while other threads pile up). Header-only; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/block_cache.h"
#include "common/digest.h"

namespace imagefs::cache::testing {

// Deterministic pseudo-random bytes: the same (size, seed) always gives the same image.
inline std::string RandomBytes(uint64_t size, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (uint64_t i = 0; i < size; i += 8) {
    uint64_t r = rng();
    for (uint64_t j = i; j < size && j < i + 8; ++j, r >>= 8) {
      bytes[j] = static_cast<char>(r & 0xff);
    }
  }
  return bytes;
}

class FakeImage {
 public:
  FakeImage(std::string id, uint64_t size, uint32_t block_size, uint32_t seed = 1)
      : bytes_(RandomBytes(size, seed)) {
    layout_.image_id = std::move(id);
    layout_.content_key = DigestHex(DigestAlgorithm::kSha512, bytes_);
    layout_.size = size;
    layout_.block_size = block_size;
    auto digests = std::make_shared<std::vector<std::string>>();
    for (uint64_t i = 0; i < layout_.BlockCount(); ++i) {
      std::string block = Block(i);
      digests->push_back(Sha256Raw(block.data(), block.size()));
    }
    layout_.digests = std::move(digests);
  }

  const ImageLayout& layout() const { return layout_; }
  const std::string& bytes() const { return bytes_; }
  std::string Block(uint64_t i) const {
    return bytes_.substr(i * layout_.block_size, layout_.BlockLength(i));
  }

 private:
  std::string bytes_;
  ImageLayout layout_;
};

class FaultyFetcher {
 public:
  struct Call {
    uint64_t offset;
    uint64_t length;
  };

  explicit FaultyFetcher(const FakeImage& image) : image_(image) {}

  // The FetchFn to pass to BlockCache::Get. Valid while this object lives.
  FetchFn fn() {
    return [this](uint64_t offset, uint64_t length) { return Fetch(offset, length); };
  }

  void set_latency(std::chrono::microseconds latency) {
    Locked([&] { latency_ = latency; });
  }
  // Calls number `first` .. `first + count - 1` (1-based) fail with `status`.
  void FailCalls(int first, int count, Status status) {
    Locked([&] { fail_ = {first, count, std::move(status)}; });
  }
  // Calls `first` .. `first + count - 1` return bytes with one bit flipped per block.
  void CorruptCalls(int first, int count) {
    Locked([&] { corrupt_ = {first, count}; });
  }
  // Calls `first` .. `first + count - 1` return half the bytes asked for.
  void ShortCalls(int first, int count) {
    Locked([&] { short_ = {first, count}; });
  }
  // Runs `hook(call_number)` inside every call, before it answers, without any lock.
  void set_hook(std::function<void(int)> hook) {
    Locked([&] { hook_ = std::move(hook); });
  }

  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(calls_.size());
  }
  std::vector<Call> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  struct Range {
    int first = 0;
    int count = 0;
    bool Covers(int n) const { return n >= first && n < first + count; }
  };
  struct Failure : Range {
    Status status;
  };

  template <typename F>
  void Locked(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    f();
  }

  Result<std::string> Fetch(uint64_t offset, uint64_t length) {
    int n;
    std::chrono::microseconds latency;
    std::function<void(int)> hook;
    Failure fail;
    Range corrupt, shorten;
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back({offset, length});
      n = static_cast<int>(calls_.size());
      latency = latency_;
      hook = hook_;
      fail = fail_;
      corrupt = corrupt_;
      shorten = short_;
    }
    if (hook) {
      hook(n);
    }
    if (latency.count() > 0) {
      std::this_thread::sleep_for(latency);
    }
    if (fail.Covers(n)) {
      return fail.status;
    }
    std::string bytes = image_.bytes().substr(offset, length);
    if (corrupt.Covers(n)) {
      for (uint64_t i = 0; i < bytes.size(); i += image_.layout().block_size) {
        bytes[i] = static_cast<char>(bytes[i] ^ 0x01);
      }
    }
    if (shorten.Covers(n)) {
      bytes.resize(bytes.size() / 2);
    }
    return bytes;
  }

  const FakeImage& image_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::chrono::microseconds latency_{0};
  Failure fail_;
  Range corrupt_, short_;
  std::function<void(int)> hook_;
};

}  // namespace imagefs::cache::testing
