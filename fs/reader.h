// Reader: the read path of open image files (docs/semantics.md §8).
//
// Cached mode (the service has per-block digests): a read takes the blocks it touches
// from the BlockCache; a missing block is fetched, with the missing blocks after it
// that the same read needs, as one HTTP range. A sequential stream also has its
// read-ahead window (ReadaheadWindow) fetched in parallel on a worker pool, in runs of
// at most fetch_run bytes. Every fetch holds its bytes of the FetchBudget until the
// cache has stored them: read-ahead that cannot get budget is dropped and the window
// shrinks, and a read waits for its share; so memory stays bounded under any number
// of readers.
//
// Read-through mode (no digests: a plain Glance): nothing goes to the disk cache.
// A read fetches exactly its bytes, or, in a sequential stream, up to one window
// (at most fetch_run, when the budget allows) kept in memory for the next reads.
//
// Replies point into cache files (fd segments, pinned) or into memory buffers; the
// ReadResult keeps both alive until it is destroyed. Thread-safe; concurrent reads
// of one stream are allowed.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cache/block_cache.h"
#include "common/clock.h"
#include "common/thread_annotations.h"
#include "fs/catalog_client.h"
#include "fs/fetch_budget.h"
#include "fs/readahead.h"
#include "fs/worker_pool.h"

namespace imagefs::fs {

struct ReaderOptions {
  ReadaheadConfig readahead;
  uint64_t max_inflight = uint64_t{64} << 20;
  uint64_t fetch_run = uint64_t{8} << 20;
  int fetch_threads = 8;
  std::chrono::milliseconds retry_deadline{30000};
};

// The bytes an open file reads: one image version.
struct ImageSource {
  std::string id;
  uint64_t size = 0;
  std::shared_ptr<const cache::ImageLayout> layout;  // nullptr: read through
};

struct ReadSegment {
  int fd = -1;  // >= 0: `length` bytes of fd at `offset`
  uint64_t offset = 0;
  const char* mem = nullptr;  // else: `length` bytes here
  size_t length = 0;
};

struct ReadResult {
  std::vector<ReadSegment> segments;
  size_t size = 0;
  std::vector<cache::BlockRef> pins;          // keeps fd segments valid
  std::shared_ptr<const std::string> buffer;  // keeps mem segments valid
};

struct ReaderStats {
  uint64_t reads = 0;
  uint64_t demand_fetches = 0;
  uint64_t prefetch_runs = 0;
  uint64_t prefetch_refused = 0;  // dropped for lack of budget or queue room
};

class ReadStream {
 public:
  ReadStream(ImageSource source, const ReadaheadConfig& config)
      : source_(std::move(source)), window_(config) {}
  const ImageSource& source() const { return source_; }

 private:
  friend class Reader;
  const ImageSource source_;
  std::mutex mu_;
  ReadaheadWindow window_ GUARDED_BY(mu_);
  uint64_t prefetched_to_ GUARDED_BY(mu_) = 0;              // blocks below this were handled
  std::shared_ptr<const std::string> buf_ GUARDED_BY(mu_);  // read-through window
  uint64_t buf_offset_ GUARDED_BY(mu_) = 0;
  FetchBudget::Lease buf_lease_ GUARDED_BY(mu_);
};

class Reader {
 public:
  Reader(const ReaderOptions& options, CatalogClient& client, cache::BlockCache& cache,
         Clock& clock);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  std::unique_ptr<ReadStream> Open(ImageSource source) const;

  // Bytes [offset, offset + size) of the stream's image, short only at the end of the
  // data. Errors: Unavailable / DeadlineExceeded (the service is unreachable past the
  // retry deadline), PermissionDenied (the service refuses the data), DataLoss (the
  // bytes fail verification twice).
  Result<ReadResult> Read(ReadStream& stream, uint64_t offset, size_t size);

  ReaderStats stats() const;
  const FetchBudget& budget() const { return budget_; }

 private:
  Result<ReadResult> ReadCached(ReadStream& s, uint64_t offset, size_t size);
  Result<ReadResult> ReadThrough(ReadStream& s, uint64_t offset, size_t size, bool sequential,
                                 uint64_t ahead_end);
  Result<cache::BlockRef> FetchBlocks(const ImageSource& src, uint64_t index, uint32_t run);
  void Prefetch(ReadStream& s, uint64_t first_block, uint64_t ahead_end) REQUIRES(s.mu_);
  // Queues first-use verification of blocks [b, b + n) that are already cached; n is
  // at most max_run and stops at the first block not cached. Returns n.
  uint64_t Preverify(const std::shared_ptr<const cache::ImageLayout>& layout, uint64_t b,
                     uint64_t end, uint64_t max_run);
  Result<std::string> FetchRange(const std::string& id, uint64_t offset, uint64_t length,
                                 Deadline deadline);

  const ReaderOptions options_;
  CatalogClient& client_;
  cache::BlockCache& cache_;
  Clock& clock_;
  FetchBudget budget_;
  std::atomic<uint64_t> reads_{0}, demand_fetches_{0}, prefetch_runs_{0}, prefetch_refused_{0};
  WorkerPool pool_;  // last: its jobs use the members above
};

}  // namespace imagefs::fs
