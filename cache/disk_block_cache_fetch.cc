// DiskBlockCache: fetching runs of missing blocks, verifying and storing them.
#include <algorithm>
#include <exception>
#include <utility>

#include "cache/disk_block_cache.h"
#include "cache/index_file.h"
#include "common/crc32c.h"
#include "common/digest.h"

namespace imagefs::cache {
namespace {

// Whether fetched `bytes` are block `index`: by the CRC-32C recorded at upload
// when the layout has one, else by the SHA-256 digest.
bool Verifies(const ImageLayout& image, uint64_t index, std::string_view bytes) {
  if (!HasValidDigest(image, index)) return false;
  if (image.crc32c != nullptr) return Crc32c(bytes.data(), bytes.size()) == (*image.crc32c)[index];
  return Sha256Raw(bytes.data(), bytes.size()) == (*image.digests)[index];
}

// Bytes of block `first + i` within a run's bytes that start at block `first`.
std::string_view Slice(const ImageLayout& image, uint64_t first, uint64_t i, std::string_view run) {
  return run.substr(i * image.block_size, image.BlockLength(first + i));
}

Result<BlockRef> ServeFromMemory(std::string_view bytes) {
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> file, MemoryFileWith(bytes));
  BlockRef ref;
  ref.fd = file->fd();
  ref.offset = 0;
  ref.length = static_cast<uint32_t>(bytes.size());
  ref.pin = std::move(file);
  return ref;
}

}  // namespace

Result<BlockRef> DiskBlockCache::FetchRun(const ImageLayout& image, uint64_t index,
                                          const Step& step, const FetchFn& fetch) {
  ++counters_.misses;
  const uint64_t count = step.flight->outcomes.size();
  FetchedRun run = FetchVerified(image, index, count, fetch);
  std::vector<std::optional<Flight::Outcome>> outcomes(count);
  std::optional<Result<BlockRef>> mine;
  uint64_t extra = run.status.ok() ? FreeSpaceDeficit(run.bytes.size()) : 0;
  for (uint64_t i = 0; i < count; ++i) {
    const Status& status = run.status.ok() ? run.block[i] : run.status;
    BlockRef stored;
    if (!status.ok()) {
      outcomes[i] = Flight::Outcome{status, std::nullopt};
    } else if (StoreBlock(image, step, index + i, Slice(image, index, i, run.bytes),
                          std::exchange(extra, 0), i == 0 ? &stored : nullptr)) {
      if (i == 0) {
        mine = std::move(stored);
      }
      continue;
    } else if (i == 0 || HasWaiters(*step.flight)) {
      Result<BlockRef> fallback = ServeFromMemory(Slice(image, index, i, run.bytes));
      outcomes[i] = fallback.ok() ? Flight::Outcome{Status::Ok(), *fallback}
                                  : Flight::Outcome{fallback.status(), std::nullopt};
    }
    if (i == 0) {
      const Flight::Outcome& o = *outcomes[0];
      mine = o.status.ok() ? Result<BlockRef>(*o.fallback) : Result<BlockRef>(o.status);
    }
  }
  FinishRun(step, std::move(outcomes));
  return *std::move(mine);
}

DiskBlockCache::FetchedRun DiskBlockCache::FetchVerified(const ImageLayout& image, uint64_t first,
                                                         uint64_t count, const FetchFn& fetch) {
  FetchedRun run;
  const uint64_t begin = first * image.block_size;
  const uint64_t end = std::min(image.size, (first + count) * image.block_size);
  Result<std::string> bytes = CountedFetch(fetch, begin, end - begin);
  if (!bytes.ok()) {
    run.status = bytes.status();
    return run;
  }
  run.bytes = *std::move(bytes);
  run.bytes.resize(end - begin);  // a short answer fails verification below
  run.block.assign(count, Status::Ok());
  std::vector<uint64_t> bad;
  for (uint64_t i = 0; i < count; ++i) {
    if (!Verifies(image, first + i, Slice(image, first, i, run.bytes))) {
      ++counters_.corrupt_blocks;
      bad.push_back(i);
    }
  }
  if (!bad.empty()) {
    Refetch(image, first, bad, fetch, &run);
  }
  return run;
}

void DiskBlockCache::Refetch(const ImageLayout& image, uint64_t first,
                             const std::vector<uint64_t>& bad, const FetchFn& fetch,
                             FetchedRun* run) {
  // One more fetch, of the span from the first to the last bad block.
  const uint64_t lo = bad.front();
  const uint64_t begin = (first + lo) * image.block_size;
  const uint64_t end = std::min(image.size, (first + bad.back() + 1) * image.block_size);
  Result<std::string> again = CountedFetch(fetch, begin, end - begin);
  if (again.ok()) {
    again->resize(end - begin);
  }
  for (uint64_t i : bad) {
    if (!again.ok()) {
      run->block[i] = again.status();
      continue;
    }
    std::string_view bytes = Slice(image, first + lo, i - lo, *again);
    if (!Verifies(image, first + i, bytes)) {
      ++counters_.corrupt_blocks;
      run->block[i] = DataLoss("block " + std::to_string(first + i) + " of image " +
                               image.image_id + " failed its digest twice");
      continue;
    }
    run->bytes.replace(i * image.block_size, bytes.size(), bytes);
  }
}

Result<std::string> DiskBlockCache::CountedFetch(const FetchFn& fetch, uint64_t offset,
                                                 uint64_t length) {
  ++counters_.fetches;
  // A FetchFn that throws must not leave blocks pending (their waiters would wait
  // forever): the exception stops here and becomes a Status.
  Result<std::string> bytes = Internal("fetch did not run");
  try {
    bytes = fetch(offset, length);
  } catch (const std::exception& e) {
    bytes = Internal(std::string("fetch threw: ") + e.what());
  } catch (...) {
    bytes = Internal("fetch threw");
  }
  if (bytes.ok()) {
    counters_.fetched_bytes += bytes->size();
  }
  return bytes;
}

bool DiskBlockCache::StoreBlock(const ImageLayout& image, const Step& step, uint64_t index,
                                std::string_view bytes, uint64_t extra, BlockRef* ref) {
  const uint64_t offset = index * image.block_size;
  if (!ReserveSpace(bytes.size(), extra)) {
    return false;
  }
  Status written;
  {
    std::lock_guard write_lock(step.file->write_mu());
    written = WriteAt(step.file->fd(), bytes, offset, config_.write_piece_bytes);
  }
  if (!written.ok()) {
    WarnLimited("cannot write a cache block; serving it from memory", written);
    // Give back what a partial write allocated.
    PunchHole(step.file->fd(), offset, image.block_size).IgnoreError();
    MutexLock lock(&shared_->mu);
    shared_->index.Release(bytes.size());
    return false;
  }
  // Stored blocks were verified: with a recorded CRC, that is their CRC.
  const uint32_t crc = image.crc32c != nullptr ? (*image.crc32c)[index]
                                               : Crc32c(bytes.data(), bytes.size());
  const uint64_t check = BlockCheck(crc);
  MutexLock lock(&shared_->mu);
  Version& v = *step.version;
  Block* b = shared_->index.FindBlock(v, index);
  if (b == nullptr || b->state != BlockState::kPending || b->flight != step.flight ||
      v.file_id != step.file->id()) {
    shared_->index.Release(bytes.size());  // the file was replaced meanwhile
    return false;
  }
  shared_->index.CommitPending(v, index);
  b->check = check;
  if (ref != nullptr) {
    ++b->pins;
    Step hit = step;
    hit.generation = b->generation;
    *ref = MakeRef(hit, index);
  }
  return true;
}

bool DiskBlockCache::ReserveSpace(uint64_t need, uint64_t extra) {
  auto flight = std::make_shared<Flight>(Flight::Kind::kEvict, &shared_->mu);
  EvictionPlan plan;
  bool reserved;
  {
    MutexLock lock(&shared_->mu);
    reserved = shared_->index.Reserve(need, config_.options.capacity_bytes, extra, can_punch_,
                                      flight, &plan);
  }
  const bool freed = RunEvictions(std::move(plan), flight);
  if (reserved && !freed) {
    MutexLock lock(&shared_->mu);
    shared_->index.Release(need);  // victims still hold their bytes: do not overcommit
    return false;
  }
  if (reserved) {
    // Our victims are punched; another thread's may not be yet, and writing now would
    // take the disk past the limit for a moment (one block per such thread). Punches
    // always finish, so this waits at most for the ones already under way.
    MutexLock lock(&shared_->mu);
    const LruIndex& idx = shared_->index;
    while (idx.punching_bytes() > 0 &&
           idx.used_bytes() + idx.punching_bytes() > config_.options.capacity_bytes) {
      shared_->punched.Wait(&shared_->mu);
    }
  }
  return reserved;
}

bool DiskBlockCache::HasWaiters(const Flight& flight) {
  MutexLock lock(&shared_->mu);
  return flight.waiters > 0;
}

void DiskBlockCache::FinishRun(const Step& step,
                               std::vector<std::optional<Flight::Outcome>> outcomes) {
  Flight& f = *step.flight;
  auto cleanup = std::make_shared<Flight>(Flight::Kind::kRemove, &shared_->mu);
  EvictionPlan plan;
  {
    MutexLock lock(&shared_->mu);
    for (uint64_t i = 0; i < outcomes.size(); ++i) {
      Block* b = shared_->index.FindBlock(*step.version, f.first + i);
      if (b != nullptr && b->state == BlockState::kPending && b->flight == step.flight) {
        shared_->index.Forget(*step.version, f.first + i);
      }
    }
    f.outcomes = std::move(outcomes);
    f.Finish();
    // Nothing stored in a version that had nothing: do not leave an empty file behind.
    shared_->index.MaybeRemove(*step.version, cleanup, &plan);
  }
  RunEvictions(std::move(plan), cleanup);
}

Result<BlockRef> DiskBlockCache::FetchUncached(const ImageLayout& image, uint64_t index,
                                               const FetchFn& fetch) {
  ++counters_.misses;
  FetchedRun run = FetchVerified(image, index, 1, fetch);
  if (!run.status.ok()) {
    return run.status;
  }
  if (!run.block[0].ok()) {
    return run.block[0];
  }
  return ServeFromMemory(run.bytes);
}

uint64_t DiskBlockCache::FreeSpaceDeficit(uint64_t incoming) const {
  Result<uint64_t> free = FreeBytes(root_);
  if (!free.ok()) {
    return 0;
  }
  const uint64_t want = config_.options.min_free_bytes + incoming;
  return *free >= want ? 0 : want - *free;
}

}  // namespace imagefs::cache
