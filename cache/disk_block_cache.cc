// DiskBlockCache: lookups, hits, first-use verification and waiting on flights.
// Fetching and storing are in disk_block_cache_fetch.cc, eviction I/O in
// disk_block_cache_evict.cc, opening and persistence in disk_block_cache_open.cc.
#include "cache/disk_block_cache.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "cache/index_file.h"
#include "common/crc32c.h"
#include "common/digest.h"

namespace imagefs::cache {
namespace {

// Every pass of Get's loop either returns or waits for another caller's operation to
// finish; this many passes without success means something keeps undoing our work.
constexpr int kMaxPasses = 64;

Status CheckRequest(const ImageLayout& image, uint64_t index) {
  IMAGEFS_RETURN_IF_ERROR(ValidateLayout(image));
  if (index >= image.BlockCount()) {
    return InvalidArgument("block " + std::to_string(index) + " is past the end of image " +
                           image.image_id);
  }
  if (!HasValidDigest(image, index)) {
    return InvalidArgument("digest of block " + std::to_string(index) + " is not SHA-256");
  }
  return Status::Ok();
}

}  // namespace

// Keeps a block unevictable and its fd open while a BlockRef holds it.
class DiskBlockCache::Pin {
 public:
  Pin(std::shared_ptr<Shared> shared, std::shared_ptr<Version> version, uint64_t index,
      uint64_t generation, std::shared_ptr<OpenFile> file)
      : shared_(std::move(shared)),
        version_(std::move(version)),
        index_(index),
        generation_(generation),
        file_(std::move(file)) {}

  ~Pin() {
    MutexLock lock(&shared_->mu);
    Block* b = shared_->index.FindBlock(*version_, index_);
    // A different generation means our block was dropped and the index reused.
    if (b != nullptr && b->generation == generation_ && b->pins > 0) {
      --b->pins;
    }
  }
  Pin(const Pin&) = delete;
  Pin& operator=(const Pin&) = delete;
  Pin(Pin&&) = delete;
  Pin& operator=(Pin&&) = delete;

 private:
  const std::shared_ptr<Shared> shared_;
  const std::shared_ptr<Version> version_;
  const uint64_t index_;
  const uint64_t generation_;
  const std::shared_ptr<OpenFile> file_;
};

// Keeps every block of a version unevictable, and its data file open, while a
// WholeFileRef holds it.
class DiskBlockCache::WholePin {
 public:
  // REQUIRES: shared->mu held by the caller; pins each block of `version` now.
  WholePin(std::shared_ptr<Shared> shared, std::shared_ptr<Version> version, uint64_t blocks,
           std::shared_ptr<OpenFile> file) REQUIRES(shared->mu)
      : shared_(std::move(shared)), version_(std::move(version)), file_(std::move(file)) {
    generations_.reserve(blocks);
    for (uint64_t i = 0; i < blocks; ++i) {
      Block* b = shared_->index.FindBlock(*version_, i);
      ++b->pins;
      generations_.push_back(b->generation);
    }
  }

  ~WholePin() {
    MutexLock lock(&shared_->mu);
    for (uint64_t i = 0; i < generations_.size(); ++i) {
      Block* b = shared_->index.FindBlock(*version_, i);
      if (b != nullptr && b->generation == generations_[i] && b->pins > 0) {
        --b->pins;
      }
    }
  }
  WholePin(const WholePin&) = delete;
  WholePin& operator=(const WholePin&) = delete;

 private:
  const std::shared_ptr<Shared> shared_;
  const std::shared_ptr<Version> version_;
  const std::shared_ptr<OpenFile> file_;
  std::vector<uint64_t> generations_;  // of block i, as pinned
};

DiskBlockCache::DiskBlockCache(const DiskBlockCacheConfig& config, Clock& clock, std::string root,
                               std::shared_ptr<OpenFile> lock_file, bool can_punch)
    : config_(config),
      clock_(clock),
      root_(std::move(root)),
      lock_file_(std::move(lock_file)),
      can_punch_(can_punch),
      shared_(std::make_shared<Shared>(config.max_open_files)) {}

Result<BlockRef> DiskBlockCache::Get(const ImageLayout& image, uint64_t index, uint32_t run,
                                     const FetchFn& fetch) {
  IMAGEFS_RETURN_IF_ERROR(CheckRequest(image, index));
  const VersionName name = NameOf(image);
  const std::string stem = name.Stem();
  bool joined = false;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    Step step = Examine(name, stem, index, std::max<uint32_t>(run, 1), Mode::kGet);
    switch (step.kind) {
      case Step::kHit:
        ++counters_.hits;
        return MakeRef(step, index);
      case Step::kOpenFile:
        if (Status s = OpenVersionFile(step.version); !s.ok()) {
          WarnLimited("cannot open a data file; serving uncached", s);
          return FetchUncached(image, index, fetch);
        }
        break;
      case Step::kVerify:
        if (std::optional<BlockRef> ref = VerifyOnDisk(image, index, step)) {
          ++counters_.hits;
          return *std::move(ref);
        }
        break;  // it failed and is gone: the next pass fetches it
      case Step::kWait:
        if (std::optional<Result<BlockRef>> r = Await(step, index, &joined)) {
          return *std::move(r);
        }
        break;
      case Step::kFetch:
        return FetchRun(image, index, step, fetch);
      case Step::kAbsent:
        return Internal("block cache: version vanished during Get");
    }
  }
  return Internal("block cache: block " + std::to_string(index) + " kept changing state");
}

std::optional<BlockRef> DiskBlockCache::Lookup(const ImageLayout& image, uint64_t index) {
  if (!CheckRequest(image, index).ok()) {
    return std::nullopt;
  }
  const VersionName name = NameOf(image);
  const std::string stem = name.Stem();
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    Step step = Examine(name, stem, index, 0, Mode::kLookup);
    switch (step.kind) {
      case Step::kHit:
        ++counters_.hits;
        return MakeRef(step, index);
      case Step::kOpenFile:
        if (!OpenVersionFile(step.version).ok()) {
          return std::nullopt;
        }
        break;
      case Step::kVerify:
        if (std::optional<BlockRef> ref = VerifyOnDisk(image, index, step)) {
          ++counters_.hits;
          return ref;
        }
        return std::nullopt;
      case Step::kWait:
        if (step.flight->kind != Flight::Kind::kVerify) {
          return std::nullopt;  // being fetched or evicted: not cached now
        }
        Await(step, index, nullptr);
        break;
      case Step::kFetch:
      case Step::kAbsent:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<WholeFileRef> DiskBlockCache::PinWhole(const ImageLayout& image) {
  if (!ValidateLayout(image).ok() || image.size == 0) {
    return std::nullopt;
  }
  const std::string stem = NameOf(image).Stem();
  WholeFileRef ref;
  for (int pass = 0; ref.pin == nullptr; ++pass) {
    std::shared_ptr<Version> closed;  // to open, outside the lock
    {
      MutexLock lock(&shared_->mu);
      std::shared_ptr<Version> v = shared_->index.Find(stem);
      if (v == nullptr || v->removing != nullptr) {
        return std::nullopt;
      }
      const uint64_t blocks = image.BlockCount();
      for (uint64_t i = 0; i < blocks; ++i) {
        const Block* b = shared_->index.FindBlock(*v, i);
        if (b == nullptr || b->state != BlockState::kPresent || !b->verified) {
          return std::nullopt;
        }
      }
      if (v->file != nullptr) {
        shared_->index.TouchFile(*v);
        ref.fd = v->file->fd();
        ref.pin = std::make_shared<WholePin>(shared_, v, blocks, v->file);
      } else {
        closed = std::move(v);
      }
    }
    if (closed != nullptr && (pass > 0 || !OpenVersionFile(closed).ok())) {
      return std::nullopt;
    }
  }
  // Every block is present, so the file reaches at least the image's end; anything
  // past it (written by someone else) would be read as image bytes by a passthrough.
  Result<FileUsage> usage = UsageOf(ref.fd);
  if (!usage.ok() || usage->size != image.size) {
    return std::nullopt;  // the pin goes with `ref`
  }
  ref.size = image.size;
  return ref;
}

bool DiskBlockCache::ContainsOrPending(const ImageLayout& image, uint64_t index) {
  if (!ValidateLayout(image).ok()) {
    return false;
  }
  const std::string stem = NameOf(image).Stem();
  MutexLock lock(&shared_->mu);
  std::shared_ptr<Version> v = shared_->index.Find(stem);
  if (v == nullptr) {
    return false;
  }
  const Block* b = shared_->index.FindBlock(*v, index);
  return b != nullptr && b->state != BlockState::kEvicting;
}

BlockCacheStats DiskBlockCache::stats() const {
  BlockCacheStats s;
  s.hits = counters_.hits;
  s.misses = counters_.misses;
  s.fetches = counters_.fetches;
  s.fetched_bytes = counters_.fetched_bytes;
  s.joined = counters_.joined;
  s.evicted_blocks = counters_.evicted_blocks;
  s.corrupt_blocks = counters_.corrupt_blocks;
  s.capacity_bytes = config_.options.capacity_bytes;
  MutexLock lock(&shared_->mu);
  s.used_bytes = shared_->index.used_bytes();
  return s;
}

std::string DiskBlockCache::DataFilePath(const ImageLayout& image) const {
  return PathOf(NameOf(image));
}

std::string DiskBlockCache::PathOf(const VersionName& name) const {
  return root_ + "/" + name.FileName();
}

DiskBlockCache::Step DiskBlockCache::Examine(const VersionName& name, const std::string& stem,
                                             uint64_t index, uint32_t run, Mode mode) {
  MutexLock lock(&shared_->mu);
  LruIndex& idx = shared_->index;
  std::shared_ptr<Version> v = mode == Mode::kGet ? idx.FindOrAdd(name, stem) : idx.Find(stem);
  if (v == nullptr) {
    return Step{};
  }
  if (v->removing != nullptr) {
    return mode == Mode::kGet ? Step{Step::kWait, v, nullptr, v->removing} : Step{};
  }
  Block* b = idx.FindBlock(*v, index);
  if (b == nullptr && mode == Mode::kLookup) {
    return Step{};
  }
  if (b != nullptr && b->state != BlockState::kPresent) {
    return Step{Step::kWait, v, nullptr, b->flight};
  }
  if (v->file == nullptr) {
    return Step{Step::kOpenFile, v, nullptr, nullptr};
  }
  idx.TouchFile(*v);
  if (b == nullptr) {
    return ClaimRun(v, index, run);
  }
  if (!b->verified) {
    auto flight = std::make_shared<Flight>(Flight::Kind::kVerify, &shared_->mu);
    idx.StartVerify(*v, index, flight);
    return Step{Step::kVerify, v, v->file, std::move(flight)};
  }
  ++b->pins;
  idx.Touch(*b);
  return Step{Step::kHit, v, v->file, nullptr, b->generation};
}

DiskBlockCache::Step DiskBlockCache::ClaimRun(const std::shared_ptr<Version>& v, uint64_t index,
                                              uint32_t run) {
  LruIndex& idx = shared_->index;
  const uint64_t max_blocks = std::max<uint64_t>(1, config_.max_run_bytes / v->name.block_size);
  const uint64_t end = std::min({index + run, index + max_blocks, v->name.BlockCount()});
  auto flight = std::make_shared<Flight>(Flight::Kind::kFetch, &shared_->mu);
  flight->first = index;
  uint64_t i = index;
  for (; i < end && (i == index || idx.FindBlock(*v, i) == nullptr); ++i) {
    idx.AddPending(*v, i, v->name.BlockLength(i), flight);
  }
  flight->outcomes.resize(i - index);
  return Step{Step::kFetch, v, v->file, std::move(flight)};
}

Status DiskBlockCache::OpenVersionFile(const std::shared_ptr<Version>& v) {
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> file, OpenOrCreate(PathOf(v->name)));
  std::vector<std::shared_ptr<OpenFile>> to_close;  // closed after the lock is released
  MutexLock lock(&shared_->mu);
  if (v->removing == nullptr && shared_->index.Find(v->stem) == v) {
    shared_->index.InstallFile(*v, std::move(file), &to_close);
  }
  return Status::Ok();
}

std::optional<BlockRef> DiskBlockCache::VerifyOnDisk(const ImageLayout& image, uint64_t index,
                                                     const Step& step) {
  const uint32_t length = image.BlockLength(index);
  uint64_t check = 0;
  {
    MutexLock lock(&shared_->mu);
    if (Block* b = shared_->index.FindBlock(*step.version, index); b != nullptr) check = b->check;
  }
  // Not zero-filled (it is read over); not kept per thread (FUSE threads are many).
  std::unique_ptr<char[]> buf(new char[length]);
  Result<size_t> n = ReadAt(step.file->fd(), buf.get(), length, index * image.block_size);
  bool good = n.ok() && *n == length;
  // Bytes stored by this cache carry the CRC-32C of what passed the digest (crc32c.h);
  // others (no index entry) are checked against the digest itself, and get a check.
  if (good && check != 0) {
    good = BlockCheck(Crc32c(buf.get(), length)) == check;
  } else if (good) {
    good = Sha256Raw(buf.get(), length) == (*image.digests)[index];
    if (good) check = BlockCheck(Crc32c(buf.get(), length));
  }
  EvictionPlan plan;
  Step hit = step;
  {
    MutexLock lock(&shared_->mu);
    Version& v = *step.version;
    Block* b = shared_->index.FindBlock(v, index);
    if (good && b != nullptr && v.file_id == step.file->id()) {
      shared_->index.FinishVerify(v, index);
      b->check = check;
      ++b->pins;
      hit.generation = b->generation;
      step.flight->Finish();
      return MakeRef(hit, index);
    }
    ++counters_.corrupt_blocks;
    shared_->index.EvictCorrupt(v, index, step.flight, &plan);
  }
  WarnLimited("cached block failed verification; refetching",
              DataLoss(step.version->stem + " block " + std::to_string(index)));
  RunEvictions(std::move(plan), step.flight);
  return std::nullopt;
}

std::optional<Result<BlockRef>> DiskBlockCache::Await(const Step& step, uint64_t index,
                                                      bool* joined) {
  Flight& f = *step.flight;
  MutexLock lock(&shared_->mu);
  if (f.kind == Flight::Kind::kFetch && joined != nullptr && !*joined) {
    *joined = true;
    ++counters_.joined;
  }
  ++f.waiters;
  while (!f.done) {
    f.cv.Wait(&shared_->mu);
  }
  --f.waiters;
  if (f.kind != Flight::Kind::kFetch || index < f.first || index - f.first >= f.outcomes.size()) {
    return std::nullopt;
  }
  const std::optional<Flight::Outcome>& outcome = f.outcomes[index - f.first];
  if (!outcome.has_value() || (outcome->status.ok() && !outcome->fallback.has_value())) {
    return std::nullopt;  // stored (or dropped since): look again
  }
  if (!outcome->status.ok()) {
    return Result<BlockRef>(outcome->status);
  }
  return Result<BlockRef>(*outcome->fallback);
}

BlockRef DiskBlockCache::MakeRef(const Step& step, uint64_t index) const {
  const VersionName& name = step.version->name;
  BlockRef ref;
  ref.fd = step.file->fd();
  ref.offset = index * name.block_size;
  ref.length = name.BlockLength(index);
  ref.pin = std::make_shared<Pin>(shared_, step.version, index, step.generation, step.file);
  return ref;
}

}  // namespace imagefs::cache
