// Helpers for the store tests: a temporary directory, deterministic bytes, and
// the one-shot digests the pipeline must reproduce.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/crc32c.h"
#include "common/digest.h"

namespace imagefs::service::testing {

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/store_test.XXXXXX";
    path_ = ::mkdtemp(tmpl) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(rng() >> 56);
  return s;
}

inline std::vector<std::string> BlockDigests(const std::string& data, size_t block_size) {
  std::vector<std::string> out;
  for (size_t at = 0; at < data.size(); at += block_size) {
    out.push_back(Sha256Raw(data.data() + at, std::min(block_size, data.size() - at)));
  }
  return out;
}

inline std::vector<uint32_t> BlockCrcs(const std::string& data, size_t block_size) {
  std::vector<uint32_t> out;
  for (size_t at = 0; at < data.size(); at += block_size) {
    out.push_back(Crc32c(data.data() + at, std::min(block_size, data.size() - at)));
  }
  return out;
}

// Sizes of the pieces in which to feed `total` bytes: random, from 1 byte to a
// few blocks, so piece boundaries fall everywhere relative to blocks and buffers.
inline std::vector<size_t> RandomChunks(size_t total, size_t max_chunk, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<size_t> chunks;
  while (total > 0) {
    size_t n = std::min(total, 1 + static_cast<size_t>(rng() % max_chunk));
    chunks.push_back(n);
    total -= n;
  }
  return chunks;
}

inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace imagefs::service::testing
