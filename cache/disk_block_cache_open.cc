// DiskBlockCache: opening (reconciling the index with the data files) and persisting
// the index.
#include <algorithm>
#include <unordered_map>
#include <utility>

#include "cache/disk_block_cache.h"
#include "cache/index_file.h"
#include "common/log.h"

namespace imagefs::cache {
namespace {

constexpr std::string_view kLayoutDir = "v1";
constexpr std::string_view kIndexName = "index";
constexpr std::string_view kLockName = "lock";
// An index of 100 million blocks is ~1.2 GB; anything larger is not ours.
constexpr uint64_t kMaxIndexBytes = uint64_t{2} << 30;

// A data file found at open, and which of its blocks hold data.
struct FoundFile {
  VersionName name;
  std::pair<uint64_t, uint64_t> id;
  FileStamp stamp;
  std::vector<uint64_t> blocks;  // ascending
  bool extents_reliable = true;  // false: the filesystem reported holes as data
};

// Blocks of `name` lying wholly inside the data extents of `file`.
Result<FoundFile> ScanDataFile(const std::string& path, const VersionName& name) {
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> file, OpenExisting(path, false));
  IMAGEFS_ASSIGN_OR_RETURN(auto extents, DataExtents(file->fd()));
  IMAGEFS_ASSIGN_OR_RETURN(FileUsage usage, UsageOf(file->fd()));
  IMAGEFS_ASSIGN_OR_RETURN(FileStamp stamp, StampOf(file->fd()));
  FoundFile found{name, file->id(), stamp, {}, true};
  uint64_t data_bytes = 0;
  const uint64_t count = name.BlockCount();
  for (const auto& [start, end] : extents) {
    for (uint64_t i = (start + name.block_size - 1) / name.block_size;
         i < count && i * name.block_size + name.BlockLength(i) <= end; ++i) {
      found.blocks.push_back(i);
      data_bytes += name.BlockLength(i);
    }
  }
  // Without SEEK_HOLE support the whole file looks like data; st_blocks tells.
  found.extents_reliable = data_bytes <= usage.allocated;
  return found;
}

bool Contains(const FoundFile& f, uint64_t index) {
  return std::binary_search(f.blocks.begin(), f.blocks.end(), index);
}

IndexSnapshot ReadIndex(const std::string& path) {
  Result<std::string> bytes = ReadSmallFile(path, kMaxIndexBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() != StatusCode::kNotFound) {
      IMAGEFS_LOG(WARN, "block cache: ignoring index: {}", bytes.status().ToString());
    }
    return {};
  }
  Result<IndexSnapshot> snapshot = DecodeIndex(*bytes);
  if (!snapshot.ok()) {
    IMAGEFS_LOG(WARN, "block cache: ignoring index: {}", snapshot.status().ToString());
    return {};
  }
  return *std::move(snapshot);
}

// `sealed`: f is unchanged since the clean close that wrote the index, so a block
// the index marks verified under that seal is verified now.
void AdoptBlock(const FoundFile& f, uint64_t index, uint64_t check, bool sealed, LruIndex* idx) {
  std::shared_ptr<Version> v = idx->FindOrAdd(f.name, f.name.Stem());
  if (idx->FindBlock(*v, index) == nullptr) {
    v->file_id = f.id;
    const bool verified = sealed && (check & kVerifiedUnderSeal) != 0;
    idx->AddFoundOnDisk(*v, index, f.name.BlockLength(index), check & ~kVerifiedUnderSeal,
                        verified);
  }
}

// Puts the blocks found on disk into `idx`, in the snapshot's LRU order where it has
// them.
void AdoptFoundBlocks(const IndexSnapshot& snapshot,
                      const std::unordered_map<std::string, FoundFile>& found, LruIndex* idx) {
  // AddFoundOnDisk makes each block the least recently used: add the indexed blocks
  // newest first, then the unindexed ones, which so end up oldest.
  std::vector<const FoundFile*> by_version(snapshot.versions.size(), nullptr);
  std::vector<bool> sealed(snapshot.versions.size(), false);
  for (size_t i = 0; i < snapshot.versions.size(); ++i) {
    auto it = found.find(snapshot.versions[i].Stem());
    by_version[i] = it == found.end() ? nullptr : &it->second;
    sealed[i] = by_version[i] != nullptr && i < snapshot.seals.size() &&
                snapshot.seals[i] == by_version[i]->stamp;
  }
  for (size_t i = snapshot.blocks.size(); i-- > 0;) {
    const auto& [ordinal, index] = snapshot.blocks[i];
    const FoundFile* f = by_version[ordinal];
    // Trust the index for membership only where the extents cannot be trusted.
    if (f != nullptr && (Contains(*f, index) || !f->extents_reliable)) {
      AdoptBlock(*f, index, i < snapshot.checks.size() ? snapshot.checks[i] : 0, sealed[ordinal],
                 idx);
    }
  }
  for (const auto& [stem, f] : found) {
    if (!f.extents_reliable) {
      continue;
    }
    for (uint64_t index : f.blocks) {
      AdoptBlock(f, index, 0, false, idx);  // not indexed: no check known, the digest decides
    }
  }
}

// The present blocks of `idx`, least recently used first. With `files`, also what a
// seal needs: per version, its open data file (null if closed: a closed file may
// have changed since its blocks were verified), and the verified blocks of open
// ones marked kVerifiedUnderSeal.
IndexSnapshot Snapshot(const LruIndex& idx, std::vector<std::shared_ptr<OpenFile>>* files) {
  IndexSnapshot snapshot;
  std::unordered_map<const Version*, uint32_t> ordinal;
  for (const LruEntry& e : idx.lru()) {
    auto [it, added] =
        ordinal.try_emplace(e.version, static_cast<uint32_t>(snapshot.versions.size()));
    if (added) {
      snapshot.versions.push_back(e.version->name);
      if (files != nullptr) files->push_back(e.version->file);
    }
    snapshot.blocks.emplace_back(it->second, e.index);
    auto b = e.version->blocks.find(e.index);
    uint64_t check = b == e.version->blocks.end() ? 0 : b->second.check;
    if (files != nullptr && e.version->file != nullptr && b != e.version->blocks.end() &&
        b->second.verified && check != 0) {
      check |= kVerifiedUnderSeal;
    }
    snapshot.checks.push_back(check);
  }
  return snapshot;
}

// Stamps each version whose file is open; a version that cannot be stamped loses its
// blocks' verified marks.
void Seal(const std::vector<std::shared_ptr<OpenFile>>& files, IndexSnapshot* snapshot) {
  snapshot->seals.assign(snapshot->versions.size(), std::nullopt);
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i] == nullptr) continue;
    if (Result<FileStamp> stamp = StampOf(files[i]->fd()); stamp.ok()) {
      snapshot->seals[i] = *stamp;
    }
  }
  for (size_t i = 0; i < snapshot->blocks.size(); ++i) {
    if (!snapshot->seals[snapshot->blocks[i].first].has_value()) {
      snapshot->checks[i] &= ~kVerifiedUnderSeal;
    }
  }
}

}  // namespace

Result<std::unique_ptr<DiskBlockCache>> DiskBlockCache::Open(const DiskBlockCacheConfig& config,
                                                             Clock& clock) {
  if (config.options.dir.empty() || config.max_open_files == 0) {
    return InvalidArgument("block cache needs a directory and max_open_files > 0");
  }
  std::string root = config.options.dir + "/" + std::string(kLayoutDir);
  IMAGEFS_RETURN_IF_ERROR(MakeDirs(root));
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> lock,
                           LockFile(root + "/" + std::string(kLockName)));
  const bool can_punch = config.allow_punch_hole && CanPunchHoles(root);
  std::unique_ptr<DiskBlockCache> cache(
      new DiskBlockCache(config, clock, std::move(root), std::move(lock), can_punch));
  IMAGEFS_RETURN_IF_ERROR(cache->LoadFromDisk());
  if (config.flush_interval.count() > 0) {
    cache->flusher_ =
        std::jthread([c = cache.get()](const std::stop_token& stop) { c->FlushLoop(stop); });
  }
  return cache;
}

DiskBlockCache::~DiskBlockCache() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  // Nothing writes any more: the stamps taken now describe the files as they stay.
  if (Status s = WriteIndex(/*seal=*/true); !s.ok()) {
    IMAGEFS_LOG(WARN, "block cache: cannot write the index at exit: {}", s.ToString());
  }
}

Status DiskBlockCache::LoadFromDisk() {
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<std::string> names, ListFiles(root_));
  std::unordered_map<std::string, FoundFile> found;  // by stem
  for (const std::string& name : names) {
    if (name == kIndexName || name == kLockName) {
      continue;
    }
    std::optional<VersionName> parsed = ParseVersionName(name);
    Result<FoundFile> scanned = NotFound("");
    if (parsed.has_value() && parsed->FileName() == name) {
      scanned = ScanDataFile(root_ + "/" + name, *parsed);
    }
    if (!scanned.ok()) {
      RemoveFile(root_ + "/" + name).IgnoreError();  // not ours, or unreadable
      continue;
    }
    found.emplace(parsed->Stem(), *std::move(scanned));
  }
  {
    IndexSnapshot snapshot = ReadIndex(root_ + "/" + std::string(kIndexName));
    MutexLock lock(&shared_->mu);
    AdoptFoundBlocks(snapshot, found, &shared_->index);
  }
  for (const auto& [stem, file] : found) {
    MutexLock lock(&shared_->mu);
    if (shared_->index.Find(stem) == nullptr) {
      RemoveFile(PathOf(file.name)).IgnoreError();  // no block worth keeping
    }
  }
  ReserveSpace(0, 0);  // evicts down to capacity if it shrank
  return Status::Ok();
}

Status DiskBlockCache::Flush() { return WriteIndex(/*seal=*/false); }

Status DiskBlockCache::WriteIndex(bool seal) {
  MutexLock flush_lock(&flush_mu_);
  IndexSnapshot snapshot;
  uint64_t changes;
  std::vector<std::shared_ptr<OpenFile>> files;
  {
    MutexLock lock(&shared_->mu);
    changes = shared_->index.changes();
    snapshot = Snapshot(shared_->index, seal ? &files : nullptr);
  }
  if (seal) {
    Seal(files, &snapshot);
  }
  IMAGEFS_RETURN_IF_ERROR(
      WriteFileAtomically(root_, std::string(kIndexName), EncodeIndex(snapshot)));
  flushed_changes_ = changes;
  return Status::Ok();
}

void DiskBlockCache::FlushLoop(const std::stop_token& stop) {
  std::unique_lock<std::mutex> lock(flusher_mu_);
  while (!flusher_cv_.wait_for(lock, stop, config_.flush_interval,
                               [&stop] { return stop.stop_requested(); })) {
    lock.unlock();
    bool dirty;
    {
      MutexLock flush_lock(&flush_mu_);
      MutexLock index_lock(&shared_->mu);
      dirty = shared_->index.changes() != flushed_changes_;
    }
    if (Status s = dirty ? Flush() : Status::Ok(); !s.ok()) {
      WarnLimited("cannot write the index", s);
    }
    lock.lock();
  }
}

Result<std::unique_ptr<BlockCache>> OpenDiskBlockCache(const DiskBlockCacheOptions& options,
                                                       Clock& clock) {
  DiskBlockCacheConfig config;
  config.options = options;
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<DiskBlockCache> cache,
                           DiskBlockCache::Open(config, clock));
  return std::unique_ptr<BlockCache>(std::move(cache));
}

}  // namespace imagefs::cache
