// Helpers shared by the block cache tests: a temporary directory, reading a BlockRef,
// measuring what the cache's files occupy, and a fixture that opens caches there.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cache/disk_block_cache.h"
#include "tests/testing/cache/fake_image.h"

namespace imagefs::cache::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cache_test.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::abort();
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The bytes a BlockRef points at, read with pread as the FUSE adapter would splice them.
inline std::string ReadRef(const BlockRef& ref) {
  std::string bytes(ref.length, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(ref.fd, bytes.data() + done, bytes.size() - done,
                      static_cast<off_t>(ref.offset + done));
    if (n <= 0) {
      bytes.resize(done);
      break;
    }
    done += static_cast<size_t>(n);
  }
  return bytes;
}

// Everything `path` holds (empty if it cannot be opened): a data file, to compare
// with the image it copies.
inline std::string ReadFileBytes(const std::string& path) {
  std::string bytes;
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return bytes;
  }
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) {
    bytes.append(buf, n);
  }
  fclose(f);
  return bytes;
}

// EXPECT_TRUE(SameBytes(got, want)): on a mismatch says where, not the whole blocks.
inline ::testing::AssertionResult SameBytes(const std::string& got, const std::string& want) {
  if (got == want) {
    return ::testing::AssertionSuccess();
  }
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) {
    ++i;
  }
  return ::testing::AssertionFailure() << "got " << got.size() << " bytes, want " << want.size()
                                       << "; first difference at offset " << i;
}

// Bytes allocated on disk (st_blocks) by the data files under `root`.
inline uint64_t AllocatedDataBytes(const std::string& root) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
    struct stat st {};
    if (e.path().extension() == ".data" && stat(e.path().c_str(), &st) == 0) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

// Polls `done` every millisecond until it holds or `timeout` passes.
template <typename F>
bool Eventually(F done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class CacheTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kBlock = 4096;

  DiskBlockCacheConfig Config(uint64_t capacity = uint64_t{64} << 20) const {
    DiskBlockCacheConfig config;
    config.options.dir = dir();
    config.options.capacity_bytes = capacity;
    config.options.min_free_bytes = 0;
    config.flush_interval = std::chrono::milliseconds(0);
    return config;
  }

  std::unique_ptr<DiskBlockCache> Open(const DiskBlockCacheConfig& config) {
    Result<std::unique_ptr<DiskBlockCache>> cache =
        DiskBlockCache::Open(config, SystemClock::Get());
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? *std::move(cache) : nullptr;
  }
  std::unique_ptr<DiskBlockCache> Open() { return Open(Config()); }

  // Get that must succeed; returns the bytes.
  static std::string MustGet(BlockCache& cache, const FakeImage& image, uint64_t index,
                             FaultyFetcher& fetcher, uint32_t run = 1) {
    Result<BlockRef> ref = cache.Get(image.layout(), index, run, fetcher.fn());
    EXPECT_TRUE(ref.ok()) << ref.status();
    return ref.ok() ? ReadRef(*ref) : std::string();
  }

  std::string dir() const { return tmp_.path() + "/cache"; }
  std::string root() const { return dir() + "/v1"; }

  TempDir tmp_;
};

}  // namespace imagefs::cache::testing
