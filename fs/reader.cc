#include "fs/reader.h"

#include <algorithm>

#include "common/log.h"

namespace imagefs::fs {
namespace {

// Read-ahead jobs queued beyond the running ones; more are refused (and the window
// shrinks) rather than queued.
constexpr size_t kMaxQueuedRuns = 64;

}  // namespace

Reader::Reader(const ReaderOptions& options, CatalogClient& client, cache::BlockCache& cache,
               Clock& clock)
    : options_(options),
      client_(client),
      cache_(cache),
      clock_(clock),
      budget_(options.max_inflight),
      pool_(options.fetch_threads, kMaxQueuedRuns) {}

Reader::~Reader() = default;

std::unique_ptr<ReadStream> Reader::Open(ImageSource source) const {
  return std::make_unique<ReadStream>(std::move(source), options_.readahead);
}

ReaderStats Reader::stats() const {
  return {reads_.load(), demand_fetches_.load(), prefetch_runs_.load(), prefetch_refused_.load()};
}

Result<std::string> Reader::FetchRange(const std::string& id, uint64_t offset, uint64_t length,
                                       Deadline deadline) {
  auto data = client_.ReadRange(id, offset, length, CallOptions{deadline, true});
  if (!data.ok() && data.status().code() == StatusCode::kNotFound) {
    // The image was deleted (or hidden from us) since it was opened.
    return Unavailable("image " + id + ": its data is no longer available");
  }
  return data;
}

Result<ReadResult> Reader::Read(ReadStream& s, uint64_t offset, size_t size) {
  reads_.fetch_add(1, std::memory_order_relaxed);
  const ImageSource& src = s.source_;
  if (offset >= src.size || size == 0) return ReadResult{};
  size = static_cast<size_t>(std::min<uint64_t>(size, src.size - offset));
  bool sequential;
  uint64_t ahead_end;
  {
    std::lock_guard lock(s.mu_);
    ReadaheadWindow::Decision d = s.window_.OnRead(offset, size);
    sequential = d.sequential;
    ahead_end = std::min<uint64_t>(d.ahead_end, src.size);
    if (!sequential) s.prefetched_to_ = 0;
    if (sequential && src.layout != nullptr) {
      uint64_t after = (offset + size - 1) / src.layout->block_size + 1;
      Prefetch(s, after, ahead_end);
    }
  }
  if (src.layout == nullptr) return ReadThrough(s, offset, size, sequential, ahead_end);
  return ReadCached(s, offset, size);
}

Result<ReadResult> Reader::ReadCached(ReadStream& s, uint64_t offset, size_t size) {
  const ImageSource& src = s.source_;
  const cache::ImageLayout& layout = *src.layout;
  uint64_t bs = layout.block_size;
  uint64_t first = offset / bs;
  uint64_t last = (offset + size - 1) / bs;
  ReadResult r;
  r.pins.reserve(last - first + 1);
  r.segments.reserve(last - first + 1);
  for (uint64_t b = first; b <= last; ++b) {
    std::optional<cache::BlockRef> ref = cache_.Lookup(layout, b);
    if (!ref) {
      IMAGEFS_ASSIGN_OR_RETURN(cache::BlockRef got,
                               FetchBlocks(src, b, static_cast<uint32_t>(last - b + 1)));
      ref = std::move(got);
    }
    uint64_t start = b * bs;
    uint64_t from = std::max(offset, start);
    uint64_t to = std::min<uint64_t>(offset + size, start + ref->length);
    if (to <= from) return DataLoss("cache returned a short block");
    uint64_t at = ref->offset + (from - start);
    ReadSegment* prev = r.segments.empty() ? nullptr : &r.segments.back();
    if (prev != nullptr && prev->fd == ref->fd && prev->offset + prev->length == at) {
      prev->length += to - from;  // the next block of the same cache file: one pread
    } else {
      r.segments.push_back({ref->fd, at, nullptr, to - from});
    }
    r.size += to - from;
    r.pins.push_back(std::move(*ref));
  }
  return r;
}

Result<cache::BlockRef> Reader::FetchBlocks(const ImageSource& src, uint64_t index, uint32_t run) {
  Deadline deadline = clock_.Now() + options_.retry_deadline;
  FetchBudget::Lease held;  // keeps the fetched bytes' budget until the cache stored them
  cache::FetchFn fetch = [&](uint64_t offset, uint64_t length) -> Result<std::string> {
    FetchBudget::Lease lease;
    if (!budget_.Acquire(length, deadline, &lease)) {
      return DeadlineExceeded("no fetch budget freed up before the retry deadline");
    }
    held = std::move(lease);
    demand_fetches_.fetch_add(1, std::memory_order_relaxed);
    return FetchRange(src.id, offset, length, deadline);
  };
  return cache_.Get(*src.layout, index, run, fetch);
}

void Reader::Prefetch(ReadStream& s, uint64_t first_block, uint64_t ahead_end) {
  const auto& layout = s.source_.layout;
  uint64_t bs = layout->block_size;
  uint64_t end = std::min<uint64_t>(layout->BlockCount(), (ahead_end + bs - 1) / bs);
  uint64_t max_run = std::max<uint64_t>(1, options_.fetch_run / bs);
  uint64_t b = std::max(first_block, s.prefetched_to_);
  while (b < end) {
    if (cache_.ContainsOrPending(*layout, b)) {
      b += Preverify(layout, b, end, max_run);
      continue;
    }
    uint64_t n = 1;
    while (b + n < end && n < max_run && !cache_.ContainsOrPending(*layout, b + n)) ++n;
    // Fetch in whole runs: a run cut short by the window's edge waits until the window
    // has moved on, so a stream costs one request per fetch_run, not one per block
    // (unless the window is smaller than a run, or the image ends there).
    if (b + n == end && n < max_run && end < layout->BlockCount() &&
        s.window_.window() >= max_run * bs) {
      break;
    }
    uint64_t bytes = std::min<uint64_t>(n * bs, layout->size - b * bs);
    auto lease = std::make_shared<FetchBudget::Lease>(budget_.TryAcquire(bytes));
    bool queued = lease->bytes() > 0 && pool_.Submit([this, layout, start = b, n, lease] {
      Deadline deadline = clock_.Now() + options_.retry_deadline;
      cache::FetchFn fetch = [&](uint64_t off, uint64_t len) {
        return FetchRange(layout->image_id, off, len, deadline);
      };
      auto got = cache_.Get(*layout, start, static_cast<uint32_t>(n), fetch);
      if (!got.ok()) {
        IMAGEFS_LOG_DEBUG("read-ahead of {} block {}: {}", layout->image_id, start,
                          got.status().ToString());
      }
    });
    if (!queued) {
      prefetch_refused_.fetch_add(1, std::memory_order_relaxed);
      s.window_.Shrink();
      break;
    }
    prefetch_runs_.fetch_add(1, std::memory_order_relaxed);
    b += n;
  }
  s.prefetched_to_ = std::max(s.prefetched_to_, b);
}

uint64_t Reader::Preverify(const std::shared_ptr<const cache::ImageLayout>& layout, uint64_t b,
                           uint64_t end, uint64_t max_run) {
  uint64_t n = 1;
  while (b + n < end && n < max_run && cache_.ContainsOrPending(*layout, b + n)) ++n;
  // Blocks already on disk are checked against their digests the first time this
  // process serves them. Looking them up here, ahead of the reader, moves that
  // hashing to a pool thread, in parallel with the copies of the blocks being read.
  // A refused job costs nothing: the reader's own lookup verifies instead.
  bool queued = pool_.Submit([this, layout, b, n] {
    for (uint64_t i = b; i < b + n; ++i) cache_.Lookup(*layout, i);
  });
  (void)queued;
  return n;
}

Result<ReadResult> Reader::ReadThrough(ReadStream& s, uint64_t offset, size_t size, bool sequential,
                                       uint64_t ahead_end) {
  const ImageSource& src = s.source_;
  auto serve = [&](std::shared_ptr<const std::string> buf, uint64_t buf_offset) {
    ReadResult r;
    r.segments.push_back({-1, 0, buf->data() + (offset - buf_offset), size});
    r.size = size;
    r.buffer = std::move(buf);
    return r;
  };
  {
    std::lock_guard lock(s.mu_);
    if (s.buf_ && offset >= s.buf_offset_ && offset + size <= s.buf_offset_ + s.buf_->size()) {
      return serve(s.buf_, s.buf_offset_);
    }
    // Moving past the window: let it (and its share of the budget) go now, not at close.
    s.buf_.reset();
    s.buf_lease_.Release();
  }
  uint64_t want = size;
  FetchBudget::Lease lease;
  if (sequential) {
    uint64_t window =
        std::min<uint64_t>(std::max<uint64_t>(size, ahead_end - offset), options_.fetch_run);
    window = std::min<uint64_t>(window, src.size - offset);
    lease = budget_.TryAcquire(window);
    if (lease.bytes() == window) want = window;
  }
  demand_fetches_.fetch_add(1, std::memory_order_relaxed);
  Deadline deadline = clock_.Now() + options_.retry_deadline;
  IMAGEFS_ASSIGN_OR_RETURN(std::string data, FetchRange(src.id, offset, want, deadline));
  auto buf = std::make_shared<const std::string>(std::move(data));
  if (want > size) {
    std::lock_guard lock(s.mu_);
    s.buf_ = buf;
    s.buf_offset_ = offset;
    s.buf_lease_ = std::move(lease);
  }
  return serve(std::move(buf), offset);
}

}  // namespace imagefs::fs
