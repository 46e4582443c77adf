// DiskBlockCache across restarts: the index, rediscovery from data files, and damage
// done to the directory between two cache instances.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cache/index_file.h"
#include "cache/version_name.h"
#include "tests/unit/cache/cache_test_util.h"

namespace imagefs::cache::testing {
namespace {

class DiskBlockCachePersistTest : public CacheTest {
 protected:
  DiskBlockCachePersistTest() : image_("img-1", 8 * kBlock, kBlock), fetcher_(image_) {}

  // Caches blocks [0, n) of image_ in a cache that is then closed.
  void Populate(uint64_t n) {
    auto cache = Open();
    for (uint64_t i = 0; i < n; ++i) {
      MustGet(*cache, image_, i, fetcher_);
    }
  }

  std::string DataPath() const { return root() + "/" + NameOf(image_.layout()).FileName(); }

  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  static void FlipByte(const std::string& path, uint64_t offset) {
    int fd = open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char c;
    ASSERT_EQ(pread(fd, &c, 1, static_cast<off_t>(offset)), 1);
    c = static_cast<char>(c ^ 0x40);
    ASSERT_EQ(pwrite(fd, &c, 1, static_cast<off_t>(offset)), 1);
    close(fd);
  }

  FakeImage image_;
  FaultyFetcher fetcher_;
};

TEST_F(DiskBlockCachePersistTest, BlocksSurviveReopenAndAreServedWithoutFetch) {
  Populate(4);
  auto cache = Open();
  EXPECT_EQ(cache->stats().used_bytes, 4 * kBlock);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, image_, i, fetcher_), image_.Block(i)));
  }
  EXPECT_EQ(fetcher_.calls(), 4);  // only Populate's
  EXPECT_EQ(cache->stats().hits, 4u);
}

TEST_F(DiskBlockCachePersistTest, CacheSurvivesReopenWithLruOrder) {
  FakeImage other("img-2", 8 * kBlock, kBlock, 2);
  FaultyFetcher other_fetcher(other);
  {
    auto cache = Open(Config(4 * kBlock));
    for (uint64_t i = 0; i < 4; ++i) {
      MustGet(*cache, image_, i, fetcher_);
    }
    MustGet(*cache, image_, 0, fetcher_);  // 0 becomes the most recently used
  }
  auto cache = Open(Config(4 * kBlock));
  MustGet(*cache, other, 0, other_fetcher);  // evicts the oldest: 1
  MustGet(*cache, other, 1, other_fetcher);  // then 2
  EXPECT_TRUE(cache->ContainsOrPending(image_.layout(), 0));
  EXPECT_FALSE(cache->ContainsOrPending(image_.layout(), 1));
  EXPECT_FALSE(cache->ContainsOrPending(image_.layout(), 2));
  EXPECT_TRUE(cache->ContainsOrPending(image_.layout(), 3));
  EXPECT_EQ(cache->stats().evicted_blocks, 2u);
}

TEST_F(DiskBlockCachePersistTest, CorruptBlockOnDiskIsRefetchedNotServed) {
  Populate(4);
  FlipByte(DataPath(), 2 * kBlock + 5);
  auto cache = Open();
  EXPECT_FALSE(cache->Lookup(image_.layout(), 2).has_value());
  EXPECT_EQ(cache->stats().corrupt_blocks, 1u);
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 2, fetcher_), image_.Block(2)));
  EXPECT_EQ(fetcher_.calls(), 5);
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 1, fetcher_), image_.Block(1)));  // intact: a hit
  EXPECT_EQ(fetcher_.calls(), 5);
  EXPECT_EQ(cache->stats().used_bytes, 4 * kBlock);
}

// Blocks found without an index entry are checked against their digests; once they
// passed, the index keeps their CRC-32C, and damage done after that is caught by it.
TEST_F(DiskBlockCachePersistTest, UnindexedBlocksGetAChecksumThatCatchesLaterDamage) {
  Populate(3);
  ASSERT_TRUE(std::filesystem::remove(root() + "/index"));
  {
    auto cache = Open();
    for (uint64_t i = 0; i < 3; ++i) {
      EXPECT_TRUE(SameBytes(MustGet(*cache, image_, i, fetcher_), image_.Block(i)));
    }
    EXPECT_EQ(fetcher_.calls(), 3);  // rediscovered and verified, not fetched
  }
  FlipByte(DataPath(), kBlock + 9);
  auto cache = Open();
  EXPECT_FALSE(cache->Lookup(image_.layout(), 1).has_value());
  EXPECT_EQ(cache->stats().corrupt_blocks, 1u);
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 1, fetcher_), image_.Block(1)));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 2, fetcher_), image_.Block(2)));
  EXPECT_EQ(fetcher_.calls(), 4);
}

// A clean close seals each open data file with its stamp (inode, size, ctime,
// mtime): the next cache trusts the blocks verified before it, while the file is
// unchanged, and so can hand out the whole file at once.
TEST_F(DiskBlockCachePersistTest, SealedFileIsTrustedAfterACleanClose) {
  Populate(8);
  auto cache = Open();
  EXPECT_TRUE(cache->PinWhole(image_.layout()).has_value());
  EXPECT_EQ(fetcher_.calls(), 8);
}

// Any change to the file while no cache had it open breaks the seal, even one that
// leaves the bytes as they were: then every block is checked again on first use.
TEST_F(DiskBlockCachePersistTest, AnyChangeWhileClosedBreaksTheSeal) {
  Populate(8);
  {
    int fd = open(DataPath().c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char c;
    ASSERT_EQ(pread(fd, &c, 1, 3), 1);
    ASSERT_EQ(pwrite(fd, &c, 1, 3), 1);  // the same byte: only the times move
    close(fd);
  }
  {
    auto cache = Open();
    EXPECT_FALSE(cache->PinWhole(image_.layout()).has_value());
    for (uint64_t i = 0; i < 8; ++i) {
      EXPECT_TRUE(SameBytes(MustGet(*cache, image_, i, fetcher_), image_.Block(i)));
    }
    EXPECT_TRUE(cache->PinWhole(image_.layout()).has_value());  // checked again, intact
  }
  struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  ASSERT_EQ(utimensat(AT_FDCWD, DataPath().c_str(), times, 0), 0);  // touch
  auto cache = Open();
  EXPECT_FALSE(cache->PinWhole(image_.layout()).has_value());
  EXPECT_EQ(fetcher_.calls(), 8);
}

// Only what was verified before the close is trusted after it.
TEST_F(DiskBlockCachePersistTest, OnlyBlocksVerifiedBeforeTheCloseAreTrusted) {
  Populate(8);
  ASSERT_TRUE(std::filesystem::remove(root() + "/index"));  // all 8 found unverified
  {
    auto cache = Open();
    for (uint64_t i = 0; i < 7; ++i) {
      MustGet(*cache, image_, i, fetcher_);  // verifies 0..6 from disk; 7 stays unchecked
    }
  }
  auto cache = Open();
  EXPECT_FALSE(cache->PinWhole(image_.layout()).has_value());
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 7, fetcher_), image_.Block(7)));
  EXPECT_TRUE(cache->PinWhole(image_.layout()).has_value());
  EXPECT_EQ(fetcher_.calls(), 8);  // all from disk
}

// The periodic flush runs beside writers, so it seals nothing: after a crash the
// next cache checks every block again.
TEST_F(DiskBlockCachePersistTest, PeriodicFlushSealsNothing) {
  auto cache = Open();
  for (uint64_t i = 0; i < 8; ++i) {
    MustGet(*cache, image_, i, fetcher_);
  }
  ASSERT_TRUE(cache->Flush().ok());
  Result<std::string> bytes = ReadSmallFile(root() + "/index", 1 << 20);
  ASSERT_TRUE(bytes.ok());
  Result<IndexSnapshot> index = DecodeIndex(*bytes);
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->checks.size(), 8u);
  for (uint64_t check : index->checks) EXPECT_EQ(check & kVerifiedUnderSeal, 0u);
  EXPECT_EQ(index->seals, (std::vector<std::optional<FileStamp>>(1)));
}

TEST_F(DiskBlockCachePersistTest, BlockIsVerifiedOnlyOnFirstUse) {
  Populate(2);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 0, fetcher_), image_.Block(0)));
  // Damage after first use is not looked for again: verification is once per open
  // data file (the cache owns its directory).
  FlipByte(cache->DataFilePath(image_.layout()), 5);
  Result<BlockRef> ref = cache->Get(image_.layout(), 0, 1, fetcher_.fn());
  ASSERT_TRUE(ref.ok());
  EXPECT_FALSE(SameBytes(ReadRef(*ref), image_.Block(0)));
  EXPECT_EQ(cache->stats().corrupt_blocks, 0u);
}

TEST_F(DiskBlockCachePersistTest, TruncatedDataFileIsDetected) {
  Populate(4);
  ASSERT_EQ(truncate(DataPath().c_str(), kBlock + kBlock / 2), 0);
  auto cache = Open();
  EXPECT_EQ(cache->stats().used_bytes, kBlock);  // only block 0 is whole
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, image_, i, fetcher_), image_.Block(i)));
  }
  EXPECT_EQ(fetcher_.calls(), 4 + 3);
}

TEST_F(DiskBlockCachePersistTest, DeletedDataFileIsDetected) {
  Populate(4);
  ASSERT_EQ(unlink(DataPath().c_str()), 0);
  auto cache = Open();
  EXPECT_EQ(cache->stats().used_bytes, 0u);
  EXPECT_FALSE(cache->ContainsOrPending(image_.layout(), 0));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 0, fetcher_), image_.Block(0)));
  EXPECT_EQ(fetcher_.calls(), 5);
}

TEST_F(DiskBlockCachePersistTest, HoleInDataFileIsNotServed) {
  Populate(4);
  {
    int fd = open(DataPath().c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, kBlock, kBlock), 0);
    close(fd);
  }
  auto cache = Open();
  EXPECT_FALSE(cache->ContainsOrPending(image_.layout(), 1));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 1, fetcher_), image_.Block(1)));
  EXPECT_EQ(fetcher_.calls(), 5);
}

TEST_F(DiskBlockCachePersistTest, CorruptIndexFileStartsCleanAndRediscoversBlocks) {
  Populate(3);
  for (const std::string& junk : {std::string("garbage"), std::string(),
                                  std::string("IMGFSIDX\x01\0\0\0", 12), RandomBytes(4096, 7)}) {
    WriteFile(root() + "/index", junk);
    auto cache = Open();
    EXPECT_EQ(cache->stats().used_bytes, 3 * kBlock);
    EXPECT_TRUE(cache->Lookup(image_.layout(), 2).has_value());
  }
  EXPECT_EQ(fetcher_.calls(), 3);
}

TEST_F(DiskBlockCachePersistTest, BlocksWrittenAfterTheLastFlushBecomeOldest) {
  FakeImage late("img-2", 8 * kBlock, kBlock, 2);
  FaultyFetcher late_fetcher(late);
  std::string early_index;
  {
    auto cache = Open(Config(4 * kBlock));
    MustGet(*cache, image_, 0, fetcher_);
    MustGet(*cache, image_, 1, fetcher_);
    ASSERT_TRUE(cache->Flush().ok());
    std::ifstream in(root() + "/index", std::ios::binary);
    early_index.assign(std::istreambuf_iterator<char>(in), {});
    MustGet(*cache, late, 0, late_fetcher);
    MustGet(*cache, late, 1, late_fetcher);
  }
  WriteFile(root() + "/index", early_index);  // as if we crashed before the next flush
  auto cache = Open(Config(4 * kBlock));
  EXPECT_EQ(cache->stats().used_bytes, 4 * kBlock);
  MustGet(*cache, image_, 5, fetcher_);
  MustGet(*cache, image_, 6, fetcher_);
  EXPECT_FALSE(cache->ContainsOrPending(late.layout(), 0));
  EXPECT_FALSE(cache->ContainsOrPending(late.layout(), 1));
  EXPECT_TRUE(cache->ContainsOrPending(image_.layout(), 0));
  EXPECT_TRUE(cache->ContainsOrPending(image_.layout(), 1));
}

TEST_F(DiskBlockCachePersistTest, JunkFilesAreRemovedAtOpenButSubdirectoriesAreKept) {
  Populate(1);
  WriteFile(root() + "/index.tmp", "partial");
  WriteFile(root() + "/notes.txt", "hello");
  WriteFile(root() + "/x.0123.1.1.data", "bad name");
  std::filesystem::create_directory(root() + "/sub");
  WriteFile(root() + "/sub/keep", "mine");
  WriteFile(dir() + "/outside", "mine too");
  auto cache = Open();
  EXPECT_FALSE(std::filesystem::exists(root() + "/index.tmp"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/notes.txt"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/x.0123.1.1.data"));
  EXPECT_TRUE(std::filesystem::exists(root() + "/sub/keep"));
  EXPECT_TRUE(std::filesystem::exists(dir() + "/outside"));
  EXPECT_TRUE(cache->Lookup(image_.layout(), 0).has_value());
}

TEST_F(DiskBlockCachePersistTest, DataFileWithoutBlocksIsRemovedAtOpen) {
  Populate(1);
  std::string path = DataPath();
  ASSERT_EQ(truncate(path.c_str(), 0), 0);
  auto cache = Open();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(DiskBlockCachePersistTest, ShrunkCapacityIsEnforcedAtOpen) {
  Populate(8);
  auto cache = Open(Config(3 * kBlock));
  EXPECT_EQ(cache->stats().used_bytes, 3 * kBlock);
  EXPECT_LE(AllocatedDataBytes(root()), 3 * kBlock);
}

TEST_F(DiskBlockCachePersistTest, SecondOpenOfTheSameDirectoryFails) {
  auto first = Open();
  Result<std::unique_ptr<DiskBlockCache>> second =
      DiskBlockCache::Open(Config(), SystemClock::Get());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(DiskBlockCachePersistTest, PeriodicFlushWritesTheIndex) {
  DiskBlockCacheConfig config = Config();
  config.flush_interval = std::chrono::milliseconds(10);
  auto cache = Open(config);
  MustGet(*cache, image_, 0, fetcher_);
  EXPECT_TRUE(Eventually([&] { return std::filesystem::exists(root() + "/index"); }));
}

TEST_F(DiskBlockCachePersistTest, ReplacedDataFileIsNoticedWhenReopened) {
  DiskBlockCacheConfig config = Config();
  config.max_open_files = 1;
  FakeImage other("img-2", 2 * kBlock, kBlock, 2);
  FaultyFetcher other_fetcher(other);
  auto cache = Open(config);
  MustGet(*cache, image_, 0, fetcher_);
  MustGet(*cache, other, 0, other_fetcher);  // closes image_'s data file
  std::string path = cache->DataFilePath(image_.layout());
  ASSERT_EQ(unlink(path.c_str()), 0);
  WriteFile(path, std::string(kBlock, '\0'));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image_, 0, fetcher_), image_.Block(0)));
  EXPECT_EQ(fetcher_.calls(), 2);
}

}  // namespace
}  // namespace imagefs::cache::testing
