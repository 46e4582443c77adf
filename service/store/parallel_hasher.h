// ParallelHasher: streams bytes through md5, sha512 and per-block SHA-256 (with a
// CRC-32C of each block beside it) on
// worker threads, optionally handing them on to a ByteSink (the store's file),
// while the caller keeps producing. Used by uploads; reusable wherever bytes need
// the same digests (backups).
//
// Pipeline: Append() copies the caller's bytes into fixed-size buffers (whole
// blocks each, so block digests never straddle buffers). A full buffer is
// published to every stage; each stage runs on its own std::jthread and walks the
// buffers in order: one computes md5, one sha512, and one the per-block SHA-256
// and CRC-32C followed by ByteSink::Write. A buffer is reused once every stage is done with
// it; when none is free Append() blocks (backpressure), so memory stays at
// `max_buffered` bytes. Finish() drains and joins; the destructor cancels and
// joins, and no stage touches the sink after either returns.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/digest.h"
#include "common/result.h"
#include "common/thread_annotations.h"
#include "common/wire/image.h"

namespace imagefs::service {

// Receives the hashed bytes, in order, from one pipeline thread at a time.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes `data`, which starts at byte `offset` of the stream. Offsets are
  // consecutive. A non-OK status fails the pipeline: Append() and Finish() return it.
  virtual Status Write(uint64_t offset, std::string_view data) = 0;
};

struct ParallelHasherOptions {
  // Block size of the per-block SHA-256 digests; > 0. Default: 1 MiB.
  uint32_t block_size = wire::kDefaultBlockSize;
  // Bytes per pipeline buffer, rounded down to whole blocks (at least one block).
  // Default: 1 MiB (on a busy 2-core machine 1 MiB buffers beat 4 MiB ones; see
  // bench/store_bench.cc).
  size_t buffer_size = size_t{1} << 20;
  // Most bytes held in buffers (at least two buffers are used). Default: 32 MiB.
  size_t max_buffered = size_t{32} << 20;
  // Compute md5 / sha512. Default: true.
  bool md5 = true;
  bool sha512 = true;
  // Compute block digests and call the sink on the caller's thread, inside Append()
  // and Finish(), instead of on a third worker. Default: false: on the 2-core
  // machine both arrangements measured within noise of each other (see
  // bench/store_bench.cc), and a worker keeps the caller (an HTTP I/O thread) free.
  bool blocks_on_caller = false;
};

struct HashResult {
  uint64_t size = 0;
  std::string md5_hex;     // empty unless options.md5
  std::string sha512_hex;  // empty unless options.sha512
  uint32_t block_size = 0;
  // Raw 32-byte SHA-256 of each block; the last may be short; none for no bytes.
  std::vector<std::string> block_digests;
  // CRC-32C of the same blocks: the cheap check of a copy of a block whose digest is
  // already known (a backup verifies its staged copies by it).
  std::vector<uint32_t> block_crc32c;
};

// Not thread-safe: one thread calls Append() and Finish().
class ParallelHasher {
 public:
  // `sink` may be null; otherwise it must outlive this object.
  ParallelHasher(const ParallelHasherOptions& options, ByteSink* sink);
  // Cancels the pipeline (buffered bytes may never reach the sink) and joins it.
  ~ParallelHasher();
  ParallelHasher(const ParallelHasher&) = delete;
  ParallelHasher& operator=(const ParallelHasher&) = delete;

  // Queues `n` bytes. Blocks while every buffer is in use. Returns the sink's
  // error once it has failed; FailedPrecondition after Finish().
  Status Append(const void* data, size_t n);

  // Hands the last partial buffer on, waits for every stage, and returns the
  // digests, or the sink's error. Call once.
  Result<HashResult> Finish();

  uint64_t bytes_appended() const { return appended_; }

 private:
  enum Stage { kMd5, kSha512, kBlocks, kNumStages };
  struct Buffer;

  bool RunsOnWorker(Stage stage) const;
  Buffer& BufferFor(uint64_t seq);
  Status AcquireBuffer();
  Status Publish();
  void RunStage(std::stop_token stop, Stage stage);
  Status Process(Stage stage, const Buffer& buffer);
  Status ProcessBlocks(const Buffer& buffer);
  uint64_t MinDone() const REQUIRES(mu_);
  void Fail(const Status& status);

  const ParallelHasherOptions options_;
  ByteSink* const sink_;
  const size_t buffer_size_;
  std::vector<Buffer> buffers_;

  // Caller-thread state.
  uint64_t appended_ = 0;
  uint64_t filling_ = 0;      // sequence number of the buffer being filled
  bool have_buffer_ = false;  // buffers_[filling_ % size] is being filled
  bool finished_ = false;

  // Per-stage state, each touched only by its stage's thread until joined.
  Digest md5_{DigestAlgorithm::kMd5};
  Digest sha512_{DigestAlgorithm::kSha512};
  std::vector<std::string> block_digests_;
  std::vector<uint32_t> block_crc32c_;

  std::mutex mu_;
  std::condition_variable_any work_cv_;   // stages wait for published buffers
  std::condition_variable_any space_cv_;  // the caller waits for a free buffer
  uint64_t published_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;  // no more buffers will be published
  std::array<uint64_t, kNumStages> done_ GUARDED_BY(mu_) = {};
  Status error_ GUARDED_BY(mu_);

  // Last member: destroyed (and so joined) before everything the stages use.
  std::vector<std::jthread> workers_;
};

}  // namespace imagefs::service
