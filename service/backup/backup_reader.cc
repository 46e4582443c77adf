#include "service/backup/backup_reader.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/thread_annotations.h"

namespace imagefs::service::backup {
namespace {

class BackupReader final : public RangeReader {
 public:
  BackupReader(BackupStore& store, std::string container, Manifest manifest)
      : store_(store), container_(std::move(container)), manifest_(std::move(manifest)) {}

  // RangeReader
  uint64_t size() const override { return manifest_.size; }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override;

 private:
  // The reader of block `index`, reusing the last one opened.
  Result<std::shared_ptr<RangeReader>> Block(size_t index);

  BackupStore& store_;
  const std::string container_;
  const Manifest manifest_;
  std::mutex mu_;
  size_t open_index_ GUARDED_BY(mu_) = 0;
  std::shared_ptr<RangeReader> open_block_ GUARDED_BY(mu_);
};

Result<std::shared_ptr<RangeReader>> BackupReader::Block(size_t index) {
  {
    std::lock_guard lock(mu_);
    if (open_block_ != nullptr && open_index_ == index) return open_block_;
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> opened,
                           store_.OpenBlock(container_, manifest_.digests[index]));
  if (opened->size() != manifest_.BlockLength(index)) {
    return DataLoss("block " + std::to_string(index) + " of the backup has the wrong size");
  }
  std::shared_ptr<RangeReader> block = std::move(opened);
  std::lock_guard lock(mu_);
  open_index_ = index;
  open_block_ = block;
  return block;
}

Result<size_t> BackupReader::ReadAt(uint64_t offset, void* buf, size_t n) {
  char* out = static_cast<char*>(buf);
  size_t done = 0;
  while (done < n && offset < manifest_.size) {
    size_t index = static_cast<size_t>(offset / manifest_.block_size);
    uint64_t within = offset - uint64_t{index} * manifest_.block_size;
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(n - done, manifest_.BlockLength(index) - within));
    IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<RangeReader> block, Block(index));
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, block->ReadAt(within, out + done, want));
    if (got == 0) return DataLoss("block " + std::to_string(index) + " of the backup is short");
    done += got;
    offset += got;
  }
  return done;
}

}  // namespace

std::unique_ptr<RangeReader> NewBackupReader(BackupStore& store, std::string container,
                                             Manifest manifest) {
  return std::make_unique<BackupReader>(store, std::move(container), std::move(manifest));
}

}  // namespace imagefs::service::backup
