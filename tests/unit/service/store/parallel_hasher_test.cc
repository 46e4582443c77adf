#include "service/store/parallel_hasher.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/service/store/store_test_util.h"

namespace imagefs::service {
namespace {

using testing::BlockCrcs;
using testing::BlockDigests;
using testing::RandomBytes;
using testing::RandomChunks;

// Collects what the pipeline writes and checks that offsets are consecutive.
class StringSink : public ByteSink {
 public:
  Status Write(uint64_t offset, std::string_view data) override {
    if (offset != bytes.size()) return Internal("out of order write");
    bytes.append(data);
    ++writes;
    return Status::Ok();
  }
  std::string bytes;
  int writes = 0;
};

// Small buffers so a few hundred KiB wrap the buffer ring many times.
ParallelHasherOptions SmallOptions(uint32_t block_size = 4096) {
  ParallelHasherOptions options;
  options.block_size = block_size;
  options.buffer_size = 3 * block_size;
  options.max_buffered = 4 * options.buffer_size;
  return options;
}

Result<HashResult> HashInChunks(ParallelHasher& hasher, const std::string& data, uint64_t seed) {
  size_t at = 0;
  for (size_t n : RandomChunks(data.size(), 10000, seed)) {
    IMAGEFS_RETURN_IF_ERROR(hasher.Append(data.data() + at, n));
    at += n;
  }
  return hasher.Finish();
}

void ExpectDigestsOf(const HashResult& result, const std::string& data, size_t block_size) {
  EXPECT_EQ(result.size, data.size());
  EXPECT_EQ(result.md5_hex, DigestHex(DigestAlgorithm::kMd5, data));
  EXPECT_EQ(result.sha512_hex, DigestHex(DigestAlgorithm::kSha512, data));
  EXPECT_EQ(result.block_size, block_size);
  EXPECT_EQ(result.block_digests, BlockDigests(data, block_size));
  EXPECT_EQ(result.block_crc32c, BlockCrcs(data, block_size));
}

TEST(ParallelHasherTest, MatchesOneShotDigestsAcrossManyBuffers) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{12288}, size_t{500000}}) {
    std::string data = RandomBytes(size, size);
    StringSink sink;
    ParallelHasher hasher(SmallOptions(), &sink);
    Result<HashResult> result = HashInChunks(hasher, data, 7);
    ASSERT_TRUE(result.ok()) << result.status();
    ExpectDigestsOf(*result, data, 4096);
    EXPECT_EQ(sink.bytes, data);
    EXPECT_EQ(hasher.bytes_appended(), size);
  }
}

TEST(ParallelHasherTest, BlockStageOnCallerGivesTheSameResult) {
  std::string data = RandomBytes(300001, 3);
  ParallelHasherOptions options = SmallOptions(1000);
  options.blocks_on_caller = true;
  StringSink sink;
  ParallelHasher hasher(options, &sink);
  Result<HashResult> result = HashInChunks(hasher, data, 11);
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectDigestsOf(*result, data, 1000);
  EXPECT_EQ(sink.bytes, data);
}

TEST(ParallelHasherTest, BlockDigestsAloneForBackups) {
  std::string data = RandomBytes(100000, 5);
  ParallelHasherOptions options = SmallOptions();
  options.md5 = false;
  options.sha512 = false;
  ParallelHasher hasher(options, nullptr);
  Result<HashResult> result = HashInChunks(hasher, data, 13);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->md5_hex, "");
  EXPECT_EQ(result->sha512_hex, "");
  EXPECT_EQ(result->block_digests, BlockDigests(data, 4096));
  EXPECT_EQ(result->block_crc32c, BlockCrcs(data, 4096));
}

// One CRC-32C per block, of the same bytes as the block's digest: a short last block
// gets the CRC of its own bytes, and no bytes give no CRC.
TEST(ParallelHasherTest, BlockCrcsCoverTheSameBlocksAsTheDigests) {
  for (size_t size : {size_t{0}, size_t{4096}, size_t{3 * 4096 + 5}}) {
    std::string data = RandomBytes(size, size + 21);
    ParallelHasher hasher(SmallOptions(), nullptr);
    Result<HashResult> result = HashInChunks(hasher, data, 19);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->block_crc32c.size(), result->block_digests.size()) << size;
    for (size_t i = 0; i < result->block_crc32c.size(); ++i) {
      size_t at = i * 4096;
      size_t len = std::min<size_t>(4096, size - at);
      EXPECT_EQ(result->block_crc32c[i], Crc32c(data.data() + at, len)) << size << " block " << i;
    }
    if (size == 3 * 4096 + 5) {
      EXPECT_EQ(result->block_crc32c.back(), Crc32c(data.data() + 3 * 4096, 5));
    }
    if (size == 0) {
      EXPECT_TRUE(result->block_crc32c.empty());
    }
  }
}

TEST(ParallelHasherTest, BufferSizeIsRoundedToWholeBlocks) {
  std::string data = RandomBytes(50000, 17);
  ParallelHasherOptions options;
  options.block_size = 3000;
  options.buffer_size = 7000;  // becomes 6000: two blocks per buffer
  StringSink sink;
  ParallelHasher hasher(options, &sink);
  ASSERT_TRUE(hasher.Append(data.data(), data.size()).ok());
  Result<HashResult> result = hasher.Finish();
  ASSERT_TRUE(result.ok());
  ExpectDigestsOf(*result, data, 3000);
  EXPECT_EQ(sink.writes, 9);  // ceil(50000 / 6000)
}

class FailingSink : public ByteSink {
 public:
  explicit FailingSink(uint64_t fail_at) : fail_at_(fail_at) {}
  Status Write(uint64_t offset, std::string_view) override {
    if (offset >= fail_at_) return ResourceExhausted("disk full");
    return Status::Ok();
  }

 private:
  uint64_t fail_at_;
};

TEST(ParallelHasherTest, SinkErrorFailsAppendAndFinish) {
  ParallelHasherOptions options = SmallOptions();
  FailingSink sink(/*fail_at=*/20000);
  ParallelHasher hasher(options, &sink);
  std::string chunk = RandomBytes(1000, 1);
  Status status;
  uint64_t appended = 0;
  while (status.ok() && appended < 10'000'000) {
    status = hasher.Append(chunk.data(), chunk.size());
    appended += chunk.size();
  }
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  // It fails within the bytes the pipeline can hold past the failing write.
  EXPECT_LE(appended, 20000 + options.max_buffered + 2 * options.buffer_size);
  EXPECT_EQ(hasher.Finish().status().code(), StatusCode::kResourceExhausted);
}

// Blocks every write until released; counts writes after the hasher is gone.
class GatedSink : public ByteSink {
 public:
  Status Write(uint64_t, std::string_view data) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    written_ += data.size();
    return Status::Ok();
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  uint64_t written() {
    std::lock_guard lock(mu_);
    return written_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  uint64_t written_ = 0;
};

template <typename Pred>
bool PollUntil(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(ParallelHasherTest, AppendBlocksWhenAllBuffersAreBusy) {
  ParallelHasherOptions options = SmallOptions();
  const size_t buffers = options.max_buffered / options.buffer_size;  // 4
  std::string data = RandomBytes(10 * options.max_buffered, 9);
  GatedSink sink;
  ParallelHasher hasher(options, &sink);
  std::atomic<size_t> appended_buffers{0};
  std::thread producer([&] {
    for (size_t at = 0; at < data.size(); at += options.buffer_size) {
      EXPECT_TRUE(hasher.Append(data.data() + at, options.buffer_size).ok());
      ++appended_buffers;
    }
  });
  // The sink holds the first buffer, so the producer fills the ring and then
  // waits inside Append() for that buffer to come back.
  ASSERT_TRUE(PollUntil([&] { return appended_buffers.load() >= buffers; }));
  EXPECT_EQ(appended_buffers.load(), buffers);
  sink.Open();
  producer.join();
  Result<HashResult> result = hasher.Finish();
  ASSERT_TRUE(result.ok());
  ExpectDigestsOf(*result, data, 4096);
  EXPECT_EQ(sink.written(), data.size());
}

TEST(ParallelHasherTest, DestroyingMidStreamJoinsWithoutHanging) {
  GatedSink sink;
  auto hasher = std::make_unique<ParallelHasher>(SmallOptions(), &sink);
  std::string data = RandomBytes(3 * 12288 + 5, 4);  // three full buffers queued
  ASSERT_TRUE(hasher->Append(data.data(), data.size()).ok());
  // Destroy while the sink holds the first write, then let that write return:
  // the destructor joins the stages, dropping queued buffers once it has asked
  // them to stop (when that lands relative to Open() is up to the scheduler).
  std::thread destroyer([&] { hasher.reset(); });
  sink.Open();
  destroyer.join();
  uint64_t written = sink.written();
  EXPECT_LE(written, 3u * 12288);  // the partial buffer is never written
  EXPECT_EQ(written % 12288, 0u);
}

TEST(ParallelHasherTest, AppendAfterFinishIsRefused) {
  ParallelHasher hasher(SmallOptions(), nullptr);
  ASSERT_TRUE(hasher.Finish().ok());
  EXPECT_EQ(hasher.Append("x", 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(hasher.Finish().status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace imagefs::service
