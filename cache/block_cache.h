// BlockCache: a persistent, verified, bounded cache of fixed-size blocks of immutable
// image versions, on local disk. Knows nothing of FUSE or HTTP: bytes come from a
// FetchFn supplied by the caller.
//
// Keys: an image version is (image_id, content_key); content_key is the hash of the
// whole image data (os_hash_value), so a new version of an image never reads an old
// version's blocks and nothing ever needs invalidation, only eviction.
//
// Integrity: every block is checked against the SHA-256 digest imaged computed at
// upload (ImageLayout::digests) before it is stored, and before it is first served
// from disk in this process it is checked again: against the CRC-32C the cache
// recorded of those verified bytes, or against the digest where it has none; a
// block that fails (corrupt, truncated, missing) is fetched again, never served. A
// fetched block that fails twice is DataLoss.
//
// Thread-safe. Concurrent Gets of one missing block share one fetch (single flight).
// No lock is held while fetching or doing disk I/O for another block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace imagefs::cache {

// One immutable image version and the digests that vouch for its blocks.
struct ImageLayout {
  std::string image_id;
  std::string content_key;  // hex hash of the whole image (os_hash_value)
  uint64_t size = 0;        // bytes
  uint32_t block_size = 0;  // bytes per block; the last block may be shorter
  // Raw SHA-256 of each block, BlockCount() entries. Shared, never modified.
  std::shared_ptr<const std::vector<std::string>> digests;
  // CRC-32C of each block as imaged recorded it at upload, BlockCount() entries, or
  // null. When set, fetched blocks are checked against it instead of against
  // `digests` (a fraction of the CPU; docs/semantics.md §8 says what that trades).
  std::shared_ptr<const std::vector<uint32_t>> crc32c;

  uint64_t BlockCount() const { return block_size == 0 ? 0 : (size + block_size - 1) / block_size; }
  uint32_t BlockLength(uint64_t index) const;
};

// Fetches bytes [offset, offset + length) of the image version. Called without any
// cache lock held; may block (network). Must return exactly `length` bytes or fail.
using FetchFn = std::function<Result<std::string>(uint64_t offset, uint64_t length)>;

// A cached block, pinned: its bytes stay at [offset, offset + length) of `fd` until
// the BlockRef (all copies) is destroyed, even if the block is evicted meanwhile.
// The caller may pread or splice from fd; it must not close it.
struct BlockRef {
  int fd = -1;
  uint64_t offset = 0;
  uint32_t length = 0;
  std::shared_ptr<void> pin;
};

// A whole image version on disk, pinned: every block of it is present and has been
// verified since this process opened its data file, and none is evicted (no hole is
// punched) until the WholeFileRef (all copies) is destroyed. `fd` is the data file: a
// byte-identical copy of the image, exactly `size` bytes long, which the caller may
// hand to the kernel (FUSE passthrough) but must not close or write.
struct WholeFileRef {
  int fd = -1;
  uint64_t size = 0;
  std::shared_ptr<void> pin;
};

struct BlockCacheStats {
  uint64_t hits = 0;           // Get/Lookup served from disk
  uint64_t misses = 0;         // Get that had to fetch
  uint64_t fetches = 0;        // FetchFn calls
  uint64_t fetched_bytes = 0;
  uint64_t joined = 0;         // Gets that waited on another caller's fetch
  uint64_t evicted_blocks = 0;
  uint64_t corrupt_blocks = 0; // blocks that failed verification (disk or fetch)
  uint64_t used_bytes = 0;     // bytes of blocks held now
  uint64_t capacity_bytes = 0;
};

class BlockCache {
 public:
  virtual ~BlockCache() = default;

  // Block `index` of `image`. On a miss, fetches a run of up to `run` consecutive
  // blocks starting at `index` that are neither cached nor being fetched, with ONE
  // call to `fetch` (one HTTP range), verifies and stores each, and returns `index`.
  // Errors: whatever `fetch` returns; DataLoss when fetched bytes fail verification
  // twice; InvalidArgument for an index past the end. Disk-full or disk errors while
  // storing degrade to serving the fetched bytes from a private temporary file, never
  // to an error.
  virtual Result<BlockRef> Get(const ImageLayout& image, uint64_t index, uint32_t run,
                               const FetchFn& fetch) = 0;

  // The block if it is cached (and verifies); never fetches.
  virtual std::optional<BlockRef> Lookup(const ImageLayout& image, uint64_t index) = 0;

  // The whole version pinned, if every block is cached and already verified; never
  // fetches, never verifies (a block not yet checked in this process makes it nullopt).
  // Costs O(blocks of the image) under the cache's lock.
  virtual std::optional<WholeFileRef> PinWhole(const ImageLayout& image) = 0;

  // True if the block is cached or being fetched now (cheap; no verification, no I/O).
  // For read-ahead decisions.
  virtual bool ContainsOrPending(const ImageLayout& image, uint64_t index) = 0;

  // Writes the index to disk so a later Open finds the blocks in LRU order. Also done
  // periodically and in the destructor.
  virtual Status Flush() = 0;

  virtual BlockCacheStats stats() const = 0;
};

struct DiskBlockCacheOptions {
  // Directory of the cache; created if missing. Required.
  std::string dir;
  // Bytes of blocks kept on disk; least-recently-used blocks are evicted beyond it.
  // Default: 10 GiB.
  uint64_t capacity_bytes = uint64_t{10} << 30;
  // Leave at least this many bytes free on the cache's filesystem (evict to keep it).
  // Default: 1 GiB.
  uint64_t min_free_bytes = uint64_t{1} << 30;
};

// Opens (or creates) the cache at options.dir, finding the blocks a previous process
// left there. Blocks whose bytes are damaged are detected when first used.
Result<std::unique_ptr<BlockCache>> OpenDiskBlockCache(const DiskBlockCacheOptions& options,
                                                       Clock& clock = SystemClock::Get());

}  // namespace imagefs::cache
