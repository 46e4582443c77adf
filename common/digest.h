// Incremental message digests (OpenSSL EVP). ToHex/FromHex come with it (common/hex.h).
// Not thread-safe per object; independent objects may be used from different threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/hex.h"

namespace imagefs {

enum class DigestAlgorithm { kMd5, kSha256, kSha512 };

class Digest {
 public:
  explicit Digest(DigestAlgorithm algorithm);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }

  // Finishes and returns the raw digest bytes; the object is reset for reuse.
  std::string FinishRaw();
  // Finishes and returns lower-case hex.
  std::string FinishHex();

  size_t size() const;  // digest length in bytes

 private:
  struct Ctx;
  DigestAlgorithm algorithm_;
  std::unique_ptr<Ctx> ctx_;
};

// One-shot helpers.
std::string Sha256Raw(const void* data, size_t n);
std::string DigestHex(DigestAlgorithm algorithm, std::string_view data);

}  // namespace imagefs
