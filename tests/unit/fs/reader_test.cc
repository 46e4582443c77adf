#include "fs/reader.h"

#include <unistd.h>

#include <cstring>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "fs/block_maps.h"
#include "tests/testing/fs/fake_catalog_client.h"
#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fs {
namespace {

constexpr uint64_t kMiB = 1 << 20;
using std::chrono::milliseconds;

std::string Data(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = rng();
    std::memcpy(s.data() + i, &r, std::min<size_t>(8, n - i));
  }
  return s;
}

std::string Bytes(const ReadResult& r) {
  std::string out;
  for (const auto& seg : r.segments) {
    if (seg.mem != nullptr) {
      out.append(seg.mem, seg.length);
    } else {
      std::string part(seg.length, '\0');
      EXPECT_EQ(::pread(seg.fd, part.data(), seg.length, static_cast<off_t>(seg.offset)),
                static_cast<ssize_t>(seg.length));
      out += part;
    }
  }
  EXPECT_EQ(out.size(), r.size);
  return out;
}

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache::DiskBlockCacheOptions o;
    o.dir = dir_.File("cache");
    o.min_free_bytes = 0;
    auto c = cache::OpenDiskBlockCache(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cache_ = std::move(*c);
    ReaderOptions ro;
    ro.readahead = {kMiB, 8 * kMiB, 8 * kMiB, kMiB};
    ro.max_inflight = 16 * kMiB;
    ro.fetch_run = 4 * kMiB;
    ro.fetch_threads = 4;
    ro.retry_deadline = milliseconds(500);
    reader_ = std::make_unique<Reader>(ro, client_, *cache_, SystemClock::Get());
    maps_ = std::make_unique<BlockMaps>(client_, nullptr, SystemClock::Get(), milliseconds(500));
  }

  std::unique_ptr<ReadStream> Open(const std::string& id) {
    auto img = client_.GetImage(id, {});
    EXPECT_TRUE(img.ok());
    ImageSource src{id, static_cast<uint64_t>(*img->size), *maps_->LayoutFor(*img)};
    return reader_->Open(std::move(src));
  }

  fstest::TempDir dir_;
  fstest::FakeCatalogClient client_;
  std::unique_ptr<cache::BlockCache> cache_;
  std::unique_ptr<Reader> reader_;
  std::unique_ptr<BlockMaps> maps_;
};

TEST_F(ReaderTest, ReturnsExactBytesAtAnyOffset) {
  std::string data = Data(3 * kMiB + 7, 1);
  auto s = Open(client_.AddImage("x", data));
  std::mt19937 rng(2);
  for (int i = 0; i < 50; ++i) {
    uint64_t off = rng() % data.size();
    size_t len = 1 + rng() % (2 * kMiB);
    auto r = reader_->Read(*s, off, len);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(Bytes(*r) == data.substr(off, len)) << off << "+" << len;
  }
  EXPECT_EQ(reader_->Read(*s, data.size(), 10)->size, 0u);
  EXPECT_EQ(reader_->Read(*s, data.size() - 3, 10)->size, 3u);
}

TEST_F(ReaderTest, ARandomSmallReadFetchesOneBlock) {
  auto s = Open(client_.AddImage("x", Data(16 * kMiB, 3)));
  ASSERT_TRUE(reader_->Read(*s, 9 * kMiB + 100, 4096).ok());
  EXPECT_EQ(client_.range_bytes(), kMiB);
  ASSERT_TRUE(reader_->Read(*s, 2 * kMiB + 5, 4096).ok());
  EXPECT_EQ(client_.range_bytes(), 2 * kMiB);
}

TEST_F(ReaderTest, SequentialReadsFetchAheadInParallel) {
  std::string data = Data(32 * kMiB, 4);
  auto s = Open(client_.AddImage("x", data));
  for (uint64_t off = 0; off < 4 * kMiB; off += kMiB)
    ASSERT_TRUE(reader_->Read(*s, off, kMiB).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (client_.range_bytes() < 12 * kMiB && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GE(client_.range_bytes(), 12 * kMiB);  // 4 read + the window beyond
  EXPECT_GT(reader_->stats().prefetch_runs, 0u);
  uint64_t calls = client_.range_calls();
  EXPECT_LT(calls, 12u);  // runs, not one request per block
  for (uint64_t off = 0; off < data.size(); off += kMiB) {
    auto r = reader_->Read(*s, off, kMiB);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(Bytes(*r) == data.substr(off, kMiB));
  }
}

TEST_F(ReaderTest, InFlightBytesStayWithinTheBudget) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(client_.AddImage("x", Data(12 * kMiB, 10 + i)));
  std::atomic<bool> done{false};
  uint64_t peak = 0;
  std::thread watch([&] {
    while (!done) peak = std::max(peak, reader_->budget().in_use());
  });
  std::vector<std::thread> readers;
  for (const auto& id : ids) {
    readers.emplace_back([&, id] {
      auto s = Open(id);
      for (uint64_t off = 0; off < 12 * kMiB; off += 128 * 1024) {
        ASSERT_TRUE(reader_->Read(*s, off, 128 * 1024).ok());
      }
    });
  }
  for (auto& t : readers) t.join();
  done = true;
  watch.join();
  EXPECT_LE(peak, 16 * kMiB);
}

TEST_F(ReaderTest, WithoutDigestsItReadsThroughExactly) {
  client_.SetServeBlocks(false);
  std::string data = Data(5 * kMiB, 5);
  auto s = Open(client_.AddImage("x", data));
  EXPECT_EQ(s->source().layout, nullptr);
  auto r = reader_->Read(*s, 12345, 4096);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Bytes(*r) == data.substr(12345, 4096));
  EXPECT_EQ(client_.range_bytes(), 4096u);
  std::string all;
  for (uint64_t off = 0; off < data.size(); off += 131072)
    all += Bytes(*reader_->Read(*s, off, 131072));
  EXPECT_TRUE(all == data);
  EXPECT_LT(client_.range_calls(), 20u);  // sequential windows, not one per read
}

TEST_F(ReaderTest, WhenTheServiceIsDownCachedBlocksAreStillServed) {
  std::string data = Data(2 * kMiB, 6);
  auto s = Open(client_.AddImage("x", data));
  ASSERT_TRUE(reader_->Read(*s, 5, kMiB - 5).ok());  // not at 0: no read-ahead
  client_.SetDown(true);
  auto hit = reader_->Read(*s, 10, 100);
  ASSERT_TRUE(hit.ok());
  EXPECT_TRUE(Bytes(*hit) == data.substr(10, 100));
  auto start = std::chrono::steady_clock::now();
  auto miss = reader_->Read(*s, kMiB + 5, 100);
  EXPECT_EQ(miss.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace imagefs::fs
