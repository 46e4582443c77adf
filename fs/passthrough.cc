#include "fs/passthrough.h"

#include <fcntl.h>

#include <utility>

#include "common/log.h"

namespace imagefs::fs {

void PassthroughOpens::SetKernel(KernelPassthrough* kernel) { kernel_ = kernel; }

IoChoice PassthroughOpens::Open(uint64_t ino, const cache::ImageLayout* layout, int open_flags) {
  KernelPassthrough* kernel = kernel_.load();
  const bool available = kernel != nullptr && kernel->Available();
  IoChoice choice;
  std::unique_lock lock(mu_);
  if ((open_flags & O_DIRECT) != 0) {
    // Reads of an O_DIRECT open come to us either way (FOPEN_DIRECT_IO). It takes
    // no side in the inode's mode, except that the kernel wants every open of an
    // inode that passes through to name the backing file too.
    choice.direct_io = available;
    auto it = inodes_.find(ino);
    if (it == inodes_.end() || it->second.passing == 0) return choice;
    ++it->second.passing;
    choice.mode = IoMode::kPassthrough;
    choice.backing_id = it->second.backing_id;
    return choice;
  }
  if (available && !broken_ && layout != nullptr && inodes_[ino].passing == 0) {
    std::optional<cache::WholeFileRef> whole = cache_.PinWhole(*layout);
    // The kernel sends a release after the close() it answers has returned, so a
    // process that closed its cached-mode open and opened again may be here before
    // that release is: give it a moment.
    if (whole.has_value() && inodes_[ino].cached > 0) {
      released_.wait_for(lock, kReleaseGrace, [&] { return inodes_[ino].cached == 0; });
    }
    Inode& inode = inodes_[ino];
    if (whole.has_value() && inode.cached == 0 && inode.passing == 0) {
      Result<int> id = kernel->OpenBacking(whole->fd);
      if (id.ok()) {
        inode.backing_id = *id;
        inode.whole = std::move(whole);
      } else {
        broken_ = true;
        IMAGEFS_LOG_WARN("FUSE passthrough unavailable, reads stay in this process: {}",
                         id.status().ToString());
      }
    }
  }
  Inode& inode = inodes_[ino];
  if (inode.whole.has_value()) {
    ++inode.passing;
    ++passthrough_opens_;
    choice.mode = IoMode::kPassthrough;
    choice.backing_id = inode.backing_id;
  } else {
    ++inode.cached;
    choice.mode = IoMode::kCached;
  }
  return choice;
}

void PassthroughOpens::Release(uint64_t ino, IoMode mode) {
  if (mode == IoMode::kNone) return;
  std::optional<cache::WholeFileRef> unpin;  // let go of after the lock
  {
    std::lock_guard lock(mu_);
    auto it = inodes_.find(ino);
    if (it == inodes_.end()) return;
    Inode& inode = it->second;
    if (mode == IoMode::kCached && inode.cached > 0 && --inode.cached == 0) {
      released_.notify_all();
    }
    if (mode == IoMode::kPassthrough && inode.passing > 0 && --inode.passing == 0) {
      if (KernelPassthrough* kernel = kernel_.load()) kernel->CloseBacking(inode.backing_id);
      unpin = std::move(inode.whole);
      inode.whole.reset();
    }
    if (inode.cached == 0 && inode.passing == 0) inodes_.erase(it);
  }
}

}  // namespace imagefs::fs
