// DiskBlockCache: hits, misses, runs, single flight, verification of fetched bytes and
// errors. Persistence is in disk_block_cache_persist_test.cc, space in
// disk_block_cache_space_test.cc.
#include <atomic>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/crc32c.h"
#include "tests/unit/cache/cache_test_util.h"

namespace imagefs::cache::testing {
namespace {

using DiskBlockCacheTest = CacheTest;

TEST_F(DiskBlockCacheTest, HitAfterMissServesSameBytesWithoutFetch) {
  FakeImage image("img-1", 10 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 3, fetcher), image.Block(3)));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 3, fetcher), image.Block(3)));
  EXPECT_EQ(fetcher.calls(), 1);
  BlockCacheStats stats = cache->stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.fetched_bytes, kBlock);
  EXPECT_EQ(stats.used_bytes, kBlock);
}

TEST_F(DiskBlockCacheTest, BlockRefPointsIntoAByteIdenticalDataFile) {
  FakeImage image("img-1", 3 * kBlock + 100, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  for (uint64_t i = 0; i < 4; ++i) {
    Result<BlockRef> ref = cache->Get(image.layout(), i, 1, fetcher.fn());
    ASSERT_TRUE(ref.ok());
    EXPECT_EQ(ref->offset, i * kBlock);
  }
  EXPECT_TRUE(SameBytes(ReadFileBytes(cache->DataFilePath(image.layout())), image.bytes()));
}

// Blocks are written in pieces of write_piece_bytes; any piece size stores the same
// bytes, one that divides nothing included.
TEST_F(DiskBlockCacheTest, WritesInPiecesStoreTheSameBytes) {
  FakeImage image("img-1", 3 * kBlock + 100, kBlock);
  FaultyFetcher fetcher(image);
  DiskBlockCacheConfig config = Config();
  config.write_piece_bytes = 1000;
  {
    auto cache = Open(config);
    for (uint64_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(SameBytes(MustGet(*cache, image, i, fetcher, 4), image.Block(i)));
    }
  }
  EXPECT_TRUE(SameBytes(ReadFileBytes(root() + "/" + NameOf(image.layout()).FileName()),
                        image.bytes()));
}

TEST_F(DiskBlockCacheTest, RunFetchesConsecutiveMissingBlocksInOneCall) {
  FakeImage image("img-1", 10 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 2, fetcher, /*run=*/4), image.Block(2)));
  ASSERT_EQ(fetcher.calls(), 1);
  EXPECT_EQ(fetcher.requests()[0].offset, 2 * kBlock);
  EXPECT_EQ(fetcher.requests()[0].length, 4 * kBlock);
  for (uint64_t i = 2; i < 6; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, image, i, fetcher), image.Block(i)));
  }
  EXPECT_EQ(fetcher.calls(), 1);
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 6));
}

TEST_F(DiskBlockCacheTest, RunStopsAtCachedBlock) {
  FakeImage image("img-1", 10 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  MustGet(*cache, image, 3, fetcher);
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher, /*run=*/8), image.Block(0)));
  ASSERT_EQ(fetcher.calls(), 2);
  EXPECT_EQ(fetcher.requests()[1].offset, 0u);
  EXPECT_EQ(fetcher.requests()[1].length, 3 * kBlock);
}

TEST_F(DiskBlockCacheTest, RunStopsAtImageEndAndAtMaxRunBytes) {
  FakeImage image("img-1", 10 * kBlock + 7, kBlock);
  FaultyFetcher fetcher(image);
  DiskBlockCacheConfig config = Config();
  config.max_run_bytes = 4 * kBlock;
  auto cache = Open(config);
  MustGet(*cache, image, 0, fetcher, /*run=*/100);
  MustGet(*cache, image, 8, fetcher, /*run=*/100);
  ASSERT_EQ(fetcher.calls(), 2);
  EXPECT_EQ(fetcher.requests()[0].length, 4 * kBlock);
  EXPECT_EQ(fetcher.requests()[1].offset, 8 * kBlock);
  EXPECT_EQ(fetcher.requests()[1].length, 2 * kBlock + 7);
}

TEST_F(DiskBlockCacheTest, ConcurrentMissesOnOneBlockFetchOnce) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  constexpr int kThreads = 8;
  // Hold the one fetch until the other seven callers have joined it.
  fetcher.set_hook([&](int) { Eventually([&] { return cache->stats().joined == kThreads - 1; }); });
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { got[t] = MustGet(*cache, image, 1, fetcher); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(fetcher.calls(), 1);
  EXPECT_EQ(cache->stats().joined, kThreads - 1u);
  for (const std::string& bytes : got) {
    EXPECT_TRUE(SameBytes(bytes, image.Block(1)));
  }
}

TEST_F(DiskBlockCacheTest, WaiterOnAnotherBlockOfTheRunIsServedByIt) {
  FakeImage image("img-1", 8 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  fetcher.set_hook([&](int) { Eventually([&] { return cache->stats().joined == 1; }); });
  std::thread reader([&] { MustGet(*cache, image, 0, fetcher, /*run=*/4); });
  ASSERT_TRUE(Eventually([&] { return cache->ContainsOrPending(image.layout(), 3); }));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 3, fetcher), image.Block(3)));
  reader.join();
  EXPECT_EQ(fetcher.calls(), 1);
}

TEST_F(DiskBlockCacheTest, ContainsOrPendingSeesFetchInProgress) {
  FakeImage image("img-1", 8 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  std::atomic<bool> release{false};
  fetcher.set_hook([&](int) { Eventually([&] { return release.load(); }); });
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 1));
  std::thread reader([&] { MustGet(*cache, image, 0, fetcher, /*run=*/2); });
  ASSERT_TRUE(Eventually([&] { return cache->ContainsOrPending(image.layout(), 1); }));
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 2));
  EXPECT_FALSE(cache->Lookup(image.layout(), 1).has_value());  // pending is not cached
  release = true;
  reader.join();
  EXPECT_TRUE(cache->Lookup(image.layout(), 1).has_value());
}

TEST_F(DiskBlockCacheTest, CorruptFetchIsRetriedThenDataLoss) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.CorruptCalls(1, 2);
  auto cache = Open();
  Result<BlockRef> ref = cache->Get(image.layout(), 1, 1, fetcher.fn());
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(fetcher.calls(), 2);
  EXPECT_EQ(cache->stats().corrupt_blocks, 2u);
  EXPECT_EQ(cache->stats().used_bytes, 0u);
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 1));
  EXPECT_TRUE(
      SameBytes(MustGet(*cache, image, 1, fetcher), image.Block(1)));  // the third fetch is good
}

TEST_F(DiskBlockCacheTest, CorruptFetchIsRepairedBySecondFetch) {
  FakeImage image("img-1", 8 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.CorruptCalls(1, 1);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher, /*run=*/4), image.Block(0)));
  ASSERT_EQ(fetcher.calls(), 2);
  EXPECT_EQ(fetcher.requests()[1].offset, 0u);
  EXPECT_EQ(fetcher.requests()[1].length, 4 * kBlock);  // all four were flipped
  EXPECT_EQ(cache->stats().corrupt_blocks, 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, image, i, fetcher), image.Block(i)));
  }
  EXPECT_EQ(fetcher.calls(), 2);
}

// A layout carrying the CRC-32Cs recorded at upload: `wrong_crc` (if any) is spoiled,
// and so is the SHA-256 digest of `wrong_sha` (if any).
ImageLayout WithCrc32c(const FakeImage& image, std::optional<uint64_t> wrong_crc = std::nullopt,
                       std::optional<uint64_t> wrong_sha = std::nullopt) {
  ImageLayout layout = image.layout();
  auto crcs = std::make_shared<std::vector<uint32_t>>();
  for (uint64_t i = 0; i < layout.BlockCount(); ++i) {
    std::string block = image.Block(i);
    crcs->push_back(Crc32c(block.data(), block.size()) ^ (wrong_crc == i ? 1u : 0u));
  }
  layout.crc32c = std::move(crcs);
  if (wrong_sha) {
    auto digests = std::make_shared<std::vector<std::string>>(*layout.digests);
    (*digests)[*wrong_sha][0] ^= 1;
    layout.digests = std::move(digests);
  }
  return layout;
}

TEST_F(DiskBlockCacheTest, WithRecordedCrcsFetchesAreCheckedByCrc) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  // Block 1's SHA-256 is wrong but its CRC right: served, so the CRC was what counted.
  Result<BlockRef> ref = cache->Get(WithCrc32c(image, std::nullopt, 1), 1, 1, fetcher.fn());
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(1)));
  EXPECT_EQ(cache->stats().corrupt_blocks, 0u);
  // Block 2's CRC is wrong: the right bytes fail twice, nothing is stored.
  Result<BlockRef> bad = cache->Get(WithCrc32c(image, 2), 2, 1, fetcher.fn());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(cache->stats().corrupt_blocks, 2u);
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 2));
}

TEST_F(DiskBlockCacheTest, WithRecordedCrcsCorruptFetchIsRepaired) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.CorruptCalls(1, 1);
  auto cache = Open();
  ImageLayout layout = WithCrc32c(image);
  Result<BlockRef> ref = cache->Get(layout, 0, 4, fetcher.fn());
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(fetcher.calls(), 2);
  EXPECT_EQ(cache->stats().corrupt_blocks, 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(SameBytes(MustGet(*cache, image, i, fetcher), image.Block(i)));
  }
  EXPECT_EQ(fetcher.calls(), 2);
}

TEST_F(DiskBlockCacheTest, ShortFetchIsTreatedAsCorrupt) {
  FakeImage image("img-1", 8 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.ShortCalls(1, 1);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher, /*run=*/4), image.Block(0)));
  ASSERT_EQ(fetcher.calls(), 2);
  EXPECT_EQ(fetcher.requests()[1].offset, 2 * kBlock);  // only the missing half again
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 3, fetcher), image.Block(3)));
  EXPECT_EQ(fetcher.calls(), 2);
}

TEST_F(DiskBlockCacheTest, FetchErrorPropagatesAndNextGetRetries) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.FailCalls(1, 1, Unavailable("service down"));
  auto cache = Open();
  Result<BlockRef> ref = cache->Get(image.layout(), 2, 2, fetcher.fn());
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 3));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 2, fetcher), image.Block(2)));
  EXPECT_EQ(fetcher.calls(), 2);
}

TEST_F(DiskBlockCacheTest, FailedFetchLeavesNoEmptyDataFile) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.FailCalls(1, 1, Unavailable("service down"));
  auto cache = Open();
  EXPECT_FALSE(cache->Get(image.layout(), 0, 1, fetcher.fn()).ok());
  EXPECT_FALSE(std::filesystem::exists(cache->DataFilePath(image.layout())));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher), image.Block(0)));
  EXPECT_TRUE(std::filesystem::exists(cache->DataFilePath(image.layout())));
}

TEST_F(DiskBlockCacheTest, FetchThatThrowsIsAnErrorNotAHang) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  auto cache = Open();
  FetchFn throwing = [](uint64_t, uint64_t) -> Result<std::string> {
    throw std::runtime_error("boom");
  };
  Result<BlockRef> ref = cache->Get(image.layout(), 0, 2, throwing);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kInternal);
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 1));
}

TEST_F(DiskBlockCacheTest, WaitersOfAFailedFetchGetItsError) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  fetcher.FailCalls(1, 1, Unavailable("service down"));
  auto cache = Open();
  constexpr int kThreads = 4;
  fetcher.set_hook([&](int n) {
    if (n == 1) {
      Eventually([&] { return cache->stats().joined == kThreads - 1; });
    }
  });
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Result<BlockRef> ref = cache->Get(image.layout(), 0, 1, fetcher.fn());
      unavailable += !ref.ok() && ref.status().code() == StatusCode::kUnavailable;
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(unavailable, kThreads);
  EXPECT_EQ(fetcher.calls(), 1);
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher), image.Block(0)));
}

TEST_F(DiskBlockCacheTest, LookupNeverFetches) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  EXPECT_FALSE(cache->Lookup(image.layout(), 0).has_value());
  MustGet(*cache, image, 0, fetcher);
  std::optional<BlockRef> ref = cache->Lookup(image.layout(), 0);
  ASSERT_TRUE(ref.has_value());
  EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(0)));
  EXPECT_FALSE(cache->Lookup(image.layout(), 1).has_value());
  EXPECT_EQ(fetcher.calls(), 1);
}

TEST_F(DiskBlockCacheTest, LastShortBlock) {
  FakeImage image("img-1", 2 * kBlock + 10, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  Result<BlockRef> ref = cache->Get(image.layout(), 2, 5, fetcher.fn());
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->length, 10u);
  EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(2)));
  EXPECT_EQ(fetcher.requests()[0].length, 10u);
  EXPECT_EQ(cache->stats().used_bytes, 10u);
}

TEST_F(DiskBlockCacheTest, OneByteImage) {
  FakeImage image("img-1", 1, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher, /*run=*/8), image.bytes()));
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 0, fetcher), image.bytes()));
  EXPECT_EQ(fetcher.calls(), 1);
}

TEST_F(DiskBlockCacheTest, EmptyImageHasNoBlocks) {
  FakeImage image("img-1", 0, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  Result<BlockRef> ref = cache->Get(image.layout(), 0, 1, fetcher.fn());
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(cache->Lookup(image.layout(), 0).has_value());
  EXPECT_FALSE(cache->ContainsOrPending(image.layout(), 0));
  EXPECT_EQ(fetcher.calls(), 0);
}

TEST_F(DiskBlockCacheTest, MalformedLayoutsAreInvalidArgument) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  auto code_of = [&](const ImageLayout& layout, uint64_t index) {
    return cache->Get(layout, index, 1, fetcher.fn()).status().code();
  };
  EXPECT_EQ(code_of(image.layout(), 4), StatusCode::kInvalidArgument);
  ImageLayout no_digests = image.layout();
  no_digests.digests = nullptr;
  EXPECT_EQ(code_of(no_digests, 0), StatusCode::kInvalidArgument);
  ImageLayout zero_block = image.layout();
  zero_block.block_size = 0;
  EXPECT_EQ(code_of(zero_block, 0), StatusCode::kInvalidArgument);
  ImageLayout bad_digest = image.layout();
  auto digests = std::make_shared<std::vector<std::string>>(*image.layout().digests);
  (*digests)[1] = "short";
  bad_digest.digests = digests;
  EXPECT_EQ(code_of(bad_digest, 1), StatusCode::kInvalidArgument);
  ImageLayout short_crcs = image.layout();
  short_crcs.crc32c = std::make_shared<std::vector<uint32_t>>(3, 0u);
  EXPECT_EQ(code_of(short_crcs, 0), StatusCode::kInvalidArgument);
  EXPECT_EQ(fetcher.calls(), 0);
}

TEST_F(DiskBlockCacheTest, DistinctContentKeysDoNotShareBlocks) {
  FakeImage v1("img-1", 4 * kBlock, kBlock, /*seed=*/1);
  FakeImage v2("img-1", 4 * kBlock, kBlock, /*seed=*/2);  // same id, new bytes
  ASSERT_NE(v1.layout().content_key, v2.layout().content_key);
  FaultyFetcher f1(v1), f2(v2);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, v1, 0, f1), v1.Block(0)));
  EXPECT_FALSE(cache->ContainsOrPending(v2.layout(), 0));
  EXPECT_TRUE(SameBytes(MustGet(*cache, v2, 0, f2), v2.Block(0)));
  EXPECT_TRUE(SameBytes(MustGet(*cache, v1, 0, f1), v1.Block(0)));
  EXPECT_EQ(f1.calls() + f2.calls(), 2);
  EXPECT_NE(cache->DataFilePath(v1.layout()), cache->DataFilePath(v2.layout()));
}

TEST_F(DiskBlockCacheTest, ImageIdsThatAreNotFileNamesAreSafe) {
  FakeImage image("../../etc/passwd", 2 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  EXPECT_TRUE(SameBytes(MustGet(*cache, image, 1, fetcher), image.Block(1)));
  std::string path = cache->DataFilePath(image.layout());
  EXPECT_EQ(path.rfind(root() + "/_", 0), 0u) << path;
}

TEST_F(DiskBlockCacheTest, BlockRefOutlivesTheCache) {
  FakeImage image("img-1", 4 * kBlock, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  Result<BlockRef> ref = cache->Get(image.layout(), 1, 1, fetcher.fn());
  ASSERT_TRUE(ref.ok());
  cache.reset();
  EXPECT_TRUE(SameBytes(ReadRef(*ref), image.Block(1)));
}

TEST_F(DiskBlockCacheTest, ManyThreadsReadingManyBlocksSeeTheRightBytes) {
  FakeImage image("img-1", 64 * kBlock + 123, kBlock);
  FaultyFetcher fetcher(image);
  auto cache = Open();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 300; ++i) {
        uint64_t index = rng() % image.layout().BlockCount();
        Result<BlockRef> ref = cache->Get(image.layout(), index, 1 + rng() % 8, fetcher.fn());
        wrong += !ref.ok() || ReadRef(*ref) != image.Block(index);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_LE(cache->stats().fetched_bytes, image.bytes().size());  // nothing fetched twice
}

}  // namespace
}  // namespace imagefs::cache::testing
