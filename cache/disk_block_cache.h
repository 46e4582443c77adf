// DiskBlockCache: the BlockCache (block_cache.h) on a local directory.
//
// On disk, <dir>/v1/ ("v1" is the layout version; a future layout uses v2/ and leaves
// v1/ alone) holds:
//   lock          flock()ed while a process uses the cache; a second process gets
//                 FailedPrecondition instead of corrupting the first one's index.
//   index         the LRU order, written atomically by Flush(), every
//                 flush_interval and on destruction (format: index_file.h).
//   <stem>.data   one sparse file per image version (name: version_name.h), block i
//                 at offset i * block_size, so a fully cached version is a
//                 byte-identical copy of the image (usable for FUSE passthrough).
// Anything else in v1/ (stale temporaries, malformed names) is removed at open;
// subdirectories and everything outside v1/ are never touched.
//
// The data files are the truth; the index is a hint. Open() lists the data files and
// asks the filesystem (SEEK_DATA/SEEK_HOLE) which blocks hold data: indexed blocks
// keep their LRU order, blocks found but not indexed (written after the last flush)
// become the least recently used, indexed blocks without data are dropped, data files
// without blocks are removed. A missing or corrupt index only loses the LRU order.
//
// Verified once per open data file: a block fetched is checked against its digest
// before it is written or returned, and the index keeps the CRC-32C of those verified
// bytes (common/crc32c.h). A block found on disk is read back and checked the first time it
// is served after this process opens its data file: against that CRC-32C when the
// index has it (a few GB/s, so a warm remount reads at disk speed), else against its
// digest (then it gets a CRC-32C); then a bit in memory marks it verified and later
// hits cost no hashing. A block that fails (bit
// flip, truncated file, hole) is punched out and fetched again, never served. When
// the fd table closes a data file and later reopens it, its blocks are checked again
// (and forgotten outright if the inode changed). The cache assumes it alone writes
// <dir>/v1 while it runs: damage done behind a data file's open fd is not noticed.
// A clean close (the destructor) seals each open data file: the index records its
// stamp (inode, size, ctime, mtime; block_file.h) and which blocks were verified.
// The next Open trusts those blocks while the file's stamp is unchanged; any change
// to the file moves its ctime, and the periodic flushes seal nothing, so after a
// crash or an outside change every block is checked again.
//
// Space: used bytes (blocks present or being verified, reservations for writes in
// progress, and bytes of evicted blocks not yet freed) never exceed capacity_bytes;
// before a write, least-recently-used blocks are evicted until the write fits and
// the filesystem keeps min_free_bytes free. Eviction punches a hole
// (FALLOC_FL_PUNCH_HOLE) where the filesystem can, else forgets all unpinned blocks
// of the victim's version and removes its file once no block is left. Pinned blocks
// (an outstanding BlockRef) are never evicted; they are skipped. When the cache
// cannot store a fetched block (no evictable room, disk full, write error, data file
// cannot be opened), Get serves it from an anonymous memory file (memfd) instead: a
// temporary file on the same full disk would fail the same way. Used bytes count
// block bytes; on disk a version's short last block rounds up to a filesystem block.
// Memory: the index is O(blocks cached); a fetch run holds at most max_run_bytes.
//
// Concurrency: one mutex (Shared::mu) guards the index and every Flight; it is never
// held across a fetch, a read, a write, a punch, an open or an unlink. Concurrent
// Gets of a missing block share one Flight (single flight); so do first-use
// verifications, evictions and file removals: a caller that finds a block busy waits
// on its Flight, then looks again. When a fetch fails, every waiter on that run gets
// the same error (nobody retries on the others' behalf: the FetchFn already retries
// with its own backoff, and N waiters must not turn into N retries); the next Get
// fetches again. Lock order: flush_mu_ before Shared::mu; flusher_mu_ is a leaf.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cache/block_cache.h"
#include "cache/block_file.h"
#include "cache/lru_index.h"
#include "cache/mutex.h"
#include "cache/version_name.h"
#include "common/clock.h"

namespace imagefs::cache {

// OpenDiskBlockCache's options plus knobs tests and benchmarks turn.
struct DiskBlockCacheConfig {
  DiskBlockCacheOptions options;
  // Data files kept open; the least recently used beyond this are closed (a pinned
  // BlockRef keeps its own fd open). Default: 256.
  size_t max_open_files = 256;
  // How often the background thread writes the index if it changed; zero disables
  // the thread. Default: 30 s.
  std::chrono::milliseconds flush_interval{30'000};
  // Bytes one fetch run may span (its bytes are held in memory until stored); runs
  // are cut to max(1, max_run_bytes / block_size) blocks. Default: 16 MiB.
  uint64_t max_run_bytes = uint64_t{16} << 20;
  // Largest single write into a data file. A filesystem with large folios (ext4 since
  // Linux 6.16) backs a write with folios as large as the write itself; here, once
  // the page cache had churned through a few GiB, 1 MiB writes ran at half the speed
  // of 128 KiB ones (a cold read 530-600 MB/s against 1.0 GB/s, a cold qemu-img
  // convert 2.9 s against 1.5 s, imagefs's CPU halved), while 64-256 KiB were alike.
  // Default: 128 KiB.
  size_t write_piece_bytes = size_t{128} << 10;
  // False forces the no-hole-punching eviction (whole files), as on a filesystem
  // without FALLOC_FL_PUNCH_HOLE. Default: true (used when the filesystem can).
  bool allow_punch_hole = true;
};

class DiskBlockCache final : public BlockCache {
 public:
  // Opens or creates the cache in config.options.dir (see the file comment).
  // InvalidArgument for an empty dir or zero max_open_files; FailedPrecondition if
  // another process uses the directory; the errno status if it cannot be created.
  static Result<std::unique_ptr<DiskBlockCache>> Open(const DiskBlockCacheConfig& config,
                                                      Clock& clock);

  // Stops the flusher and writes the index. REQUIRES: no call in progress. BlockRefs
  // may outlive the cache; their fds stay valid until they are destroyed.
  ~DiskBlockCache() override;
  DiskBlockCache(const DiskBlockCache&) = delete;
  DiskBlockCache& operator=(const DiskBlockCache&) = delete;

  // BlockCache
  Result<BlockRef> Get(const ImageLayout& image, uint64_t index, uint32_t run,
                       const FetchFn& fetch) override;
  std::optional<BlockRef> Lookup(const ImageLayout& image, uint64_t index) override;
  std::optional<WholeFileRef> PinWhole(const ImageLayout& image) override;
  bool ContainsOrPending(const ImageLayout& image, uint64_t index) override;
  Status Flush() override;
  BlockCacheStats stats() const override;

  // Where `image`'s data file lives (whether or not it exists).
  std::string DataFilePath(const ImageLayout& image) const;
  // Whether evictions punch holes (false: whole-file eviction).
  bool punches_holes() const { return can_punch_; }

 private:
  // What a pin may outlive the cache with.
  struct Shared {
    explicit Shared(size_t max_open_files) : index(max_open_files) {}
    Mutex mu;
    LruIndex index GUARDED_BY(mu);
    // Signalled when punches finish (index.punching_bytes() went down).
    CondVar punched{&mu};
  };
  class Pin;
  class WholePin;

  // What Examine found out about a block, under the lock.
  struct Step {
    enum Kind { kAbsent, kHit, kOpenFile, kVerify, kFetch, kWait } kind = kAbsent;
    std::shared_ptr<Version> version;
    std::shared_ptr<OpenFile> file;  // kHit, kVerify, kFetch: the file to use
    std::shared_ptr<Flight> flight;  // kVerify, kFetch: ours; kWait: the one to await
    uint64_t generation = 0;         // kHit: of the block pinned
  };
  enum class Mode { kGet, kLookup };

  struct Counters {
    std::atomic<uint64_t> hits{0}, misses{0}, fetches{0}, fetched_bytes{0}, joined{0};
    std::atomic<uint64_t> evicted_blocks{0}, corrupt_blocks{0};
  };

  // Fetched bytes of a run and, per block, whether they verified.
  struct FetchedRun {
    Status status;              // the fetch itself failed
    std::string bytes;          // the run, block `first` at offset 0
    std::vector<Status> block;  // per block: OK, or DataLoss / the refetch's error
  };

  DiskBlockCache(const DiskBlockCacheConfig& config, Clock& clock, std::string root,
                 std::shared_ptr<OpenFile> lock_file, bool can_punch);

  // disk_block_cache.cc: lookups, hits, first-use verification, waiting.
  Step Examine(const VersionName& name, const std::string& stem, uint64_t index, uint32_t run,
               Mode mode) EXCLUDES(shared_->mu);
  Step ClaimRun(const std::shared_ptr<Version>& v, uint64_t index, uint32_t run)
      REQUIRES(shared_->mu);
  Status OpenVersionFile(const std::shared_ptr<Version>& v) EXCLUDES(shared_->mu);
  std::optional<BlockRef> VerifyOnDisk(const ImageLayout& image, uint64_t index, const Step& step)
      EXCLUDES(shared_->mu);
  std::optional<Result<BlockRef>> Await(const Step& step, uint64_t index, bool* joined)
      EXCLUDES(shared_->mu);
  BlockRef MakeRef(const Step& step, uint64_t index) const;

  // disk_block_cache_fetch.cc: fetch runs, verification of fetched bytes, stores.
  Result<BlockRef> FetchRun(const ImageLayout& image, uint64_t index, const Step& step,
                            const FetchFn& fetch) EXCLUDES(shared_->mu);
  FetchedRun FetchVerified(const ImageLayout& image, uint64_t first, uint64_t count,
                           const FetchFn& fetch);
  void Refetch(const ImageLayout& image, uint64_t first, const std::vector<uint64_t>& bad,
               const FetchFn& fetch, FetchedRun* run);
  Result<std::string> CountedFetch(const FetchFn& fetch, uint64_t offset, uint64_t length);
  // Writes a verified block claimed by `step`; false if it could not be stored (then
  // the caller serves it from memory). With `ref`, pins the stored block into it.
  bool StoreBlock(const ImageLayout& image, const Step& step, uint64_t index,
                  std::string_view bytes, uint64_t extra, BlockRef* ref) EXCLUDES(shared_->mu);
  bool ReserveSpace(uint64_t need, uint64_t extra) EXCLUDES(shared_->mu);
  bool HasWaiters(const Flight& flight) EXCLUDES(shared_->mu);
  void FinishRun(const Step& step, std::vector<std::optional<Flight::Outcome>> outcomes)
      EXCLUDES(shared_->mu);
  Result<BlockRef> FetchUncached(const ImageLayout& image, uint64_t index, const FetchFn& fetch);
  uint64_t FreeSpaceDeficit(uint64_t incoming) const;

  // disk_block_cache_evict.cc: the I/O eviction decided on.
  // Punches, forgets the punched blocks, removes emptied files, then finishes
  // `flight`. False if a punch failed (those bytes stay allocated, counted as dead).
  bool RunEvictions(EvictionPlan plan, const std::shared_ptr<Flight>& flight) EXCLUDES(shared_->mu);
  std::vector<bool> PunchAll(const std::vector<EvictionPlan::Punch>& punches);
  std::string PathOf(const VersionName& name) const;
  void WarnLimited(std::string_view what, const Status& status);

  // disk_block_cache_open.cc: opening, reconciling, persisting.
  Status LoadFromDisk() EXCLUDES(shared_->mu);
  // Writes the index; with `seal` (only when nothing else runs, at destruction) also
  // the stamp of each open data file, so the next process trusts what was verified.
  Status WriteIndex(bool seal) EXCLUDES(shared_->mu);
  void FlushLoop(const std::stop_token& stop);

  const DiskBlockCacheConfig config_;
  Clock& clock_;
  const std::string root_;  // <dir>/v1
  const std::shared_ptr<OpenFile> lock_file_;
  const bool can_punch_;
  const std::shared_ptr<Shared> shared_;
  Counters counters_;
  std::atomic<int64_t> last_warning_micros_{0};

  Mutex flush_mu_;  // serializes index writes; acquired before shared_->mu
  uint64_t flushed_changes_ GUARDED_BY(flush_mu_) = ~uint64_t{0};

  std::mutex flusher_mu_;  // leaf; only for the flusher's timed wait
  std::condition_variable_any flusher_cv_;
  std::jthread flusher_;  // last: stopped and joined before the rest is destroyed
};

}  // namespace imagefs::cache
