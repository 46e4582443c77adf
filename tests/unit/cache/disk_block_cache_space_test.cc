// DiskBlockCache space management: capacity, eviction, pinning, free-space floor,
// disk full, write errors, filesystems without hole punching, the fd table.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "cache/version_name.h"
#include "tests/unit/cache/cache_test_util.h"

namespace imagefs::cache::testing {
namespace {

using DiskBlockCacheSpaceTest = CacheTest;

constexpr uint64_t kBlock = 4096;
constexpr uint64_t kWorkloadCapacity = 40 * kBlock;

struct WorkloadResult {
  int wrong_bytes = 0;
  int over_capacity = 0;  // times stats().used_bytes was seen above capacity
  uint64_t max_disk = 0;  // most disk use seen by `disk_used`
  uint64_t evicted = 0;
};

// Four threads read random runs of six 256 KiB images through a cache of 40 blocks,
// while a monitor samples used bytes and `disk_used()`.
WorkloadResult RunCapacityWorkload(DiskBlockCache& cache,
                                   const std::function<uint64_t()>& disk_used) {
  std::vector<std::unique_ptr<FakeImage>> images;
  std::vector<std::unique_ptr<FaultyFetcher>> fetchers;
  for (uint32_t i = 0; i < 6; ++i) {
    images.push_back(std::make_unique<FakeImage>("img-" + std::to_string(i),
                                                 64 * kBlock - uint64_t{i} * 100, kBlock, i));
    fetchers.push_back(std::make_unique<FaultyFetcher>(*images.back()));
  }
  WorkloadResult result;
  std::atomic<int> wrong{0}, over{0};
  std::atomic<uint64_t> max_disk{0};
  std::atomic<bool> stop{false};
  std::thread monitor([&] {
    while (!stop) {
      over += cache.stats().used_bytes > kWorkloadCapacity;
      uint64_t used = disk_used();
      if (used > max_disk) {
        max_disk = used;
      }
    }
  });
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 400; ++i) {
        size_t img = rng() % images.size();
        uint64_t index = rng() % images[img]->layout().BlockCount();
        Result<BlockRef> ref =
            cache.Get(images[img]->layout(), index, 1 + rng() % 4, fetchers[img]->fn());
        wrong += !ref.ok() || ReadRef(*ref) != images[img]->Block(index);
        over += cache.stats().used_bytes > kWorkloadCapacity;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  stop = true;
  monitor.join();
  return {wrong, over, max_disk, cache.stats().evicted_blocks};
}

TEST_F(DiskBlockCacheSpaceTest, CapacityIsNeverExceeded) {
  auto cache = Open(Config(kWorkloadCapacity));
  // Summing st_blocks file by file is not an atomic snapshot, so the exact on-disk
  // check while running is TmpfsCacheTest.CapacityIsNeverExceededOnDisk (statvfs).
  WorkloadResult r = RunCapacityWorkload(*cache, [] { return uint64_t{0}; });
  EXPECT_EQ(r.wrong_bytes, 0);
  EXPECT_EQ(r.over_capacity, 0);
  EXPECT_GT(r.evicted, 0u);
  // Sparse files may take an extent-tree block or two each beyond their data.
  EXPECT_LE(AllocatedDataBytes(root()), kWorkloadCapacity + uint64_t{6} * 2 * 4096);
}

TEST_F(DiskBlockCacheSpaceTest, PinnedBlockSurvivesEviction) {
  FakeImage a("img-a", 4 * kBlock, kBlock, 1);
  FakeImage b("img-b", 16 * kBlock, kBlock, 2);
  FaultyFetcher fa(a), fb(b);
  auto cache = Open(Config(4 * kBlock));
  Result<BlockRef> pinned = cache->Get(a.layout(), 0, 1, fa.fn());
  ASSERT_TRUE(pinned.ok());
  for (uint64_t i = 0; i < 16; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, b, i, fb), b.Block(i)));
  }
  EXPECT_TRUE(SameBytes(ReadRef(*pinned), a.Block(0)));
  EXPECT_TRUE(cache->ContainsOrPending(a.layout(), 0));
  EXPECT_LE(cache->stats().used_bytes, 4 * kBlock);
  pinned = Status(StatusCode::kCancelled, "released");
  for (uint64_t i = 0; i < 4; ++i) {
    MustGet(*cache, b, i, fb);
  }
  EXPECT_FALSE(cache->ContainsOrPending(a.layout(), 0));  // evictable once unpinned
}

TEST_F(DiskBlockCacheSpaceTest, WhenEverythingIsPinnedBytesAreServedFromMemory) {
  FakeImage image("img-1", 8 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open(Config(2 * kBlock));
  std::vector<BlockRef> refs;
  for (uint64_t i = 0; i < 4; ++i) {
    Result<BlockRef> ref = cache->Get(image.layout(), i, 1, fetcher.fn());
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(i)));
    refs.push_back(*ref);
  }
  EXPECT_EQ(cache->stats().used_bytes, 2 * kBlock);
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 3));
  EXPECT_EQ(refs[3].offset, 0u);  // a private memory file
}

TEST_F(DiskBlockCacheSpaceTest, BlockLargerThanCapacityIsServedFromMemory) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open(Config(kBlock / 2));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 1, fetcher), image.Block(1)));
  EXPECT_EQ(cache->stats().used_bytes, 0u);
}

TEST_F(DiskBlockCacheSpaceTest, EvictionWithoutHolePunchingRemovesWholeFiles) {
  FakeImage a("img-a", 4 * kBlock, kBlock, 1);
  FakeImage b("img-b", 8 * kBlock, kBlock, 2);
  FaultyFetcher fa(a), fb(b);
  DiskBlockCacheConfig config = Config(4 * kBlock);
  config.allow_punch_hole = false;
  auto cache = Open(config);
  ASSERT_FALSE(cache->punches_holes());
  for (uint64_t i = 0; i < 4; ++i) {
    MustGet(*cache, a, i, fa);
  }
  EXPECT_TRUE(SameBytes(MustGet(*cache, b, 0, fb), b.Block(0)));  // all of a goes, with its file
  EXPECT_FALSE(std::filesystem::exists(cache->DataFilePath(a.layout())));
  EXPECT_EQ(cache->stats().used_bytes, kBlock);
  EXPECT_EQ(cache->stats().evicted_blocks, 4u);
  for (uint64_t i = 1; i < 8; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, b, i, fb), b.Block(i)));
    EXPECT_LE(cache->stats().used_bytes, 4 * kBlock);
    EXPECT_LE(AllocatedDataBytes(root()), 4 * kBlock);
  }
}

TEST_F(DiskBlockCacheSpaceTest, WithoutHolePunchingAPinnedBlockKeepsItsFile) {
  FakeImage a("img-a", 4 * kBlock, kBlock, 1);
  FakeImage b("img-b", 8 * kBlock, kBlock, 2);
  FaultyFetcher fa(a), fb(b);
  DiskBlockCacheConfig config = Config(4 * kBlock);
  config.allow_punch_hole = false;
  auto cache = Open(config);
  Result<BlockRef> pinned = cache->Get(a.layout(), 0, 1, fa.fn());
  ASSERT_TRUE(pinned.ok());
  MustGet(*cache, a, 1, fa);
  for (uint64_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, b, i, fb), b.Block(i)));
    EXPECT_LE(cache->stats().used_bytes, 4 * kBlock);
  }
  EXPECT_TRUE(SameBytes(ReadRef(*pinned), a.Block(0)));
  EXPECT_TRUE(std::filesystem::exists(cache->DataFilePath(a.layout())));
}

TEST_F(DiskBlockCacheSpaceTest, FdTableIsBoundedAndPinsKeepTheirFds) {
  DiskBlockCacheConfig config = Config();
  config.max_open_files = 2;
  std::vector<std::unique_ptr<FakeImage>> images;
  std::vector<BlockRef> refs;
  auto cache = Open(config);
  for (uint32_t i = 0; i < 5; ++i) {
    images.push_back(std::make_unique<FakeImage>("img-" + std::to_string(i), kBlock, kBlock, i));
    FaultyFetcher fetcher(*images.back());
    Result<BlockRef> ref = cache->Get(images.back()->layout(), 0, 1, fetcher.fn());
    ASSERT_TRUE(ref.ok());
    refs.push_back(*ref);
  }
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(SameBytes(ReadRef(refs[i]), images[i]->Block(0)));
  }
  refs.clear();
  auto open_data_files = [] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      n += std::filesystem::read_symlink(e.path(), ec).extension() == ".data";
    }
    return n;
  };
  EXPECT_LE(open_data_files(), 2);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(cache->Lookup(images[i]->layout(), 0).has_value());  // reopened on demand
  }
}

// A small tmpfs as the cache's filesystem. Skips without the privilege to mount.
class TmpfsCacheTest : public CacheTest {
 protected:
  void SetUp() override {
    mount_point_ = tmp_.path() + "/fs";
    std::filesystem::create_directory(mount_point_);
    if (geteuid() != 0 || mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=1m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) {
      umount2(mount_point_.c_str(), MNT_DETACH);
    }
  }
  DiskBlockCacheConfig TmpfsConfig(uint64_t capacity, uint64_t min_free) const {
    DiskBlockCacheConfig config = Config(capacity);
    config.options.dir = mount_point_ + "/cache";
    config.options.min_free_bytes = min_free;
    return config;
  }
  uint64_t UsedBytes() const {
    struct statvfs vfs {};
    statvfs(mount_point_.c_str(), &vfs);
    return static_cast<uint64_t>(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
  }
  uint64_t FreeBytes() const {
    struct statvfs vfs {};
    statvfs(mount_point_.c_str(), &vfs);
    return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }

  std::string mount_point_;
  bool mounted_ = false;
};

TEST_F(TmpfsCacheTest, CapacityIsNeverExceededOnDisk) {
  auto cache = Open(TmpfsConfig(kWorkloadCapacity, 0));
  const uint64_t baseline = UsedBytes();
  WorkloadResult r = RunCapacityWorkload(*cache, [&] { return UsedBytes() - baseline; });
  EXPECT_EQ(r.wrong_bytes, 0);
  EXPECT_EQ(r.over_capacity, 0);
  EXPECT_GT(r.evicted, 0u);
  EXPECT_GT(r.max_disk, kWorkloadCapacity / 2);
  // Used bytes count block bytes; a short last block takes a whole page (one per image).
  EXPECT_LE(r.max_disk, kWorkloadCapacity + uint64_t{6} * 4096);
}

TEST_F(TmpfsCacheTest, DiskFullStillServesBytes) {
  FakeImage image("img-1", 64 * kBlock, kBlock);  // 256 KiB
  FaultyFetcher fetcher(image);
  auto cache = Open(TmpfsConfig(uint64_t{1} << 30, 0));
  // Leave room for about 8 blocks.
  std::string filler(FreeBytes() - 8 * kBlock, 'f');
  std::ofstream(mount_point_ + "/filler", std::ios::binary) << filler;
  for (uint64_t i = 0; i < 64; ++i) {
    Result<BlockRef> ref = cache->Get(image.layout(), i, 1, fetcher.fn());
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(i)));
  }
  EXPECT_LE(cache->stats().used_bytes, 8 * kBlock);
}

TEST_F(TmpfsCacheTest, MinFreeBytesIsKept) {
  FakeImage image("img-1", 128 * kBlock, kBlock);  // 512 KiB on a 1 MiB filesystem
  FaultyFetcher fetcher(image);
  const uint64_t min_free = uint64_t{768} * 1024;
  auto cache = Open(TmpfsConfig(uint64_t{1} << 30, min_free));
  for (uint64_t i = 0; i < 128; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, image, i, fetcher, /*run=*/2), image.Block(i)));
    EXPECT_GE(FreeBytes() + 2 * kBlock, min_free);
  }
  EXPECT_GT(cache->stats().evicted_blocks, 0u);
}

// Makes writes past `limit` bytes of any file fail (EFBIG) while it lives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit lim = old_;
    lim.rlim_cur = limit;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  FileSizeLimit(FileSizeLimit&&) = delete;
  FileSizeLimit& operator=(FileSizeLimit&&) = delete;
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  sighandler_t old_handler_;
};

TEST_F(DiskBlockCacheSpaceTest, WriteErrorStillServesBytes) {
  FakeImage image("img-1", 8 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  {
    FileSizeLimit limit(2 * kBlock);
    for (uint64_t i = 0; i < 8; ++i) {
      Result<BlockRef> ref = cache->Get(image.layout(), i, 1, fetcher.fn());
      ASSERT_TRUE(ref.ok()) << ref.status();
      EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(i)));
    }
  }
  EXPECT_EQ(cache->stats().used_bytes, 2 * kBlock);
  EXPECT_TRUE(cache->ContainsOrPending(image.layout(), 1));
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 2));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 5, fetcher), image.Block(5)));  // stored now
  EXPECT_TRUE(cache->ContainsOrPending(image.layout(), 5));
}

}  // namespace
}  // namespace imagefs::cache::testing
