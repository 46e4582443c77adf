// DiskBlockCache::PinWhole: when a version is whole on disk and verified, the data
// file handed out is the image byte for byte, and none of it is evicted while pinned.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/cache/cache_test_util.h"

namespace imagefs::cache::testing {
namespace {

using DiskBlockCacheWholeTest = CacheTest;

std::string ReadAll(int fd, uint64_t size) {
  std::string bytes(size + 1, '\0');  // one more: the file must end where the image does
  ssize_t n = pread(fd, bytes.data(), bytes.size(), 0);
  bytes.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return bytes;
}

void GetAll(BlockCache& cache, const FakeImage& image, FaultyFetcher& fetcher) {
  for (uint64_t i = 0; i < image.layout().BlockCount(); ++i) {
    ASSERT_TRUE(cache.Get(image.layout(), i, 1, fetcher.fn()).ok());
  }
}

TEST_F(DiskBlockCacheWholeTest, WholeVerifiedVersionIsTheImageByteForByte) {
  FakeImage image("img-1", 5 * kBlock + 123, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  GetAll(*cache, image, fetcher);
  std::optional<WholeFileRef> whole = cache->PinWhole(image.layout());
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->size, image.bytes().size());
  EXPECT_TRUE(SameBytes(ReadAll(whole->fd, whole->size), image.bytes()));
}

TEST_F(DiskBlockCacheWholeTest, MissingBlockMeansNoWholeFile) {
  FakeImage image("img-1", 5 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  EXPECT_FALSE(cache->PinWhole(image.layout()).has_value());  // nothing cached
  for (uint64_t i : {0, 1, 2, 4}) {
    ASSERT_TRUE(cache->Get(image.layout(), i, 1, fetcher.fn()).ok());
  }
  EXPECT_FALSE(cache->PinWhole(image.layout()).has_value());  // block 3 missing
  ASSERT_TRUE(cache->Get(image.layout(), 3, 1, fetcher.fn()).ok());
  EXPECT_TRUE(cache->PinWhole(image.layout()).has_value());
}

TEST_F(DiskBlockCacheWholeTest, BlocksNotYetVerifiedMeanNoWholeFile) {
  FakeImage image("img-1", 3 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  {
    auto cache = Open();
    GetAll(*cache, image, fetcher);
  }
  // Without the index (and its seals) the blocks are found on disk, unverified.
  ASSERT_TRUE(std::filesystem::remove(root() + "/index"));
  auto cache = Open();
  EXPECT_FALSE(cache->PinWhole(image.layout()).has_value());  // on disk, unchecked
  GetAll(*cache, image, fetcher);                              // first use checks them
  EXPECT_EQ(fetcher.calls(), 3);                               // only the first cache's
  EXPECT_TRUE(cache->PinWhole(image.layout()).has_value());
}

TEST_F(DiskBlockCacheWholeTest, FileLongerThanTheImageIsNotHandedOut) {
  FakeImage image("img-1", 2 * kBlock + 7, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  GetAll(*cache, image, fetcher);
  ASSERT_EQ(truncate(cache->DataFilePath(image.layout()).c_str(),
                     static_cast<off_t>(image.bytes().size() + 1)),
            0);
  EXPECT_FALSE(cache->PinWhole(image.layout()).has_value());
}

TEST_F(DiskBlockCacheWholeTest, PinnedWholeFileSurvivesEvictionPressure) {
  FakeImage a("img-a", 4 * kBlock, kBlock, 1);
  FakeImage b("img-b", 16 * kBlock, kBlock, 2);
  FaultyFetcher fa(a), fb(b);
  auto cache = Open(Config(6 * kBlock));
  GetAll(*cache, a, fa);
  std::optional<WholeFileRef> whole = cache->PinWhole(a.layout());
  ASSERT_TRUE(whole.has_value());
  for (uint64_t i = 0; i < 16; ++i) {  // b needs all the room there is, and more
    EXPECT_TRUE(SameBytes(MustGet(*cache, b, i, fb), b.Block(i)));
  }
  EXPECT_TRUE(SameBytes(ReadAll(whole->fd, whole->size), a.bytes()));  // no hole punched
  EXPECT_LE(cache->stats().used_bytes, 6 * kBlock);
  whole.reset();
  for (uint64_t i = 0; i < 16; ++i) {
    MustGet(*cache, b, i, fb);
  }
  EXPECT_FALSE(cache->ContainsOrPending(a.layout(), 0));  // evictable once let go
  EXPECT_FALSE(cache->PinWhole(a.layout()).has_value());
}

TEST_F(DiskBlockCacheWholeTest, WholePinOutlivesTheCache) {
  FakeImage image("img-1", 3 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  GetAll(*cache, image, fetcher);
  std::optional<WholeFileRef> whole = cache->PinWhole(image.layout());
  ASSERT_TRUE(whole.has_value());
  cache.reset();
  EXPECT_TRUE(SameBytes(ReadAll(whole->fd, whole->size), image.bytes()));
}

TEST_F(DiskBlockCacheWholeTest, EmptyImageHasNoWholeFile) {
  FakeImage image("img-1", 0, kBlock);
  auto cache = Open();
  EXPECT_FALSE(cache->PinWhole(image.layout()).has_value());
}

}  // namespace
}  // namespace imagefs::cache::testing
