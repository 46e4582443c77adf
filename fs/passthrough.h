// Passthrough: which opens of an image file the kernel reads by itself.
//
// A wholly cached image whose every block this process has verified is a
// byte-identical file on local disk (cache/disk_block_cache.h). FUSE passthrough
// (Linux 6.9+) lets an open FUSE file name such a backing file: the kernel then
// reads it directly, and no read of that open reaches this process.
//
// The kernel holds an inode in one I/O mode at a time: while any open of it reads
// through the page cache of the FUSE inode ("cached"), a passthrough open fails, and
// the other way round; opens with FOPEN_DIRECT_IO take no side. So per inode we count
// the opens of each mode and choose:
//   O_DIRECT            served by us as now, marked direct_io (the disk is slower at
//                       4 KiB reads than our page-cached cache file); no side, but
//                       named with the backing file while the inode passes through;
//   inode passing through   passthrough too, with the same backing file;
//   no cached open, image whole and verified   passthrough, pinning the whole file
//                       (nothing of it is evicted until the last such open closes);
//   otherwise           cached.
// Our counts go up before the kernel's and down after (it releases a file before it
// tells us), so we never ask for a mode the kernel would refuse. An open that finds
// the image whole but a cached open counted waits up to kReleaseGrace for that
// release: after `cat f; cat f` it is usually still on its way.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "cache/block_cache.h"
#include "common/result.h"
#include "common/thread_annotations.h"

namespace imagefs::fs {

// The kernel side, implemented by the FUSE adapter. Thread-safe.
class KernelPassthrough {
 public:
  virtual ~KernelPassthrough() = default;
  // Whether this connection passes through at all (the kernel accepted it at init).
  virtual bool Available() const = 0;
  // Registers `fd` (which the caller keeps) as a backing file; returns its id for an
  // open reply. Errors: the errno status (EPERM without CAP_SYS_ADMIN, ELOOP when the
  // cache's filesystem is itself stacked).
  virtual Result<int> OpenBacking(int fd) = 0;
  virtual void CloseBacking(int id) = 0;
};

enum class IoMode : uint8_t { kNone, kCached, kPassthrough };

struct IoChoice {
  IoMode mode = IoMode::kNone;
  int backing_id = 0;      // kPassthrough: for the open reply
  bool direct_io = false;  // FOPEN_DIRECT_IO
};

class PassthroughOpens {
 public:
  explicit PassthroughOpens(cache::BlockCache& cache) : cache_(cache) {}
  // Backing ids still registered are left to the kernel, which frees them with the
  // connection; their pins go with this.
  ~PassthroughOpens() = default;
  PassthroughOpens(const PassthroughOpens&) = delete;
  PassthroughOpens& operator=(const PassthroughOpens&) = delete;

  // Before any Open; null (the default) or unavailable: every open is cached.
  void SetKernel(KernelPassthrough* kernel);

  // The mode of a new read-only open of `ino`, whose bytes are `layout` (null: not
  // cacheable, so never passed through). Every call needs a matching Release.
  IoChoice Open(uint64_t ino, const cache::ImageLayout* layout, int open_flags);
  void Release(uint64_t ino, IoMode mode);

  uint64_t passthrough_opens() const { return passthrough_opens_; }  // ever chosen

  static constexpr std::chrono::milliseconds kReleaseGrace{20};

 private:
  struct Inode {
    int cached = 0;
    int passing = 0;
    int backing_id = 0;
    std::optional<cache::WholeFileRef> whole;  // pinned while passing > 0
  };

  cache::BlockCache& cache_;
  std::atomic<KernelPassthrough*> kernel_{nullptr};
  std::mutex mu_;
  std::condition_variable released_;  // an inode's cached count reached zero
  std::unordered_map<uint64_t, Inode> inodes_ GUARDED_BY(mu_);
  bool broken_ GUARDED_BY(mu_) = false;  // a backing open failed: stop trying
  std::atomic<uint64_t> passthrough_opens_{0};
};

}  // namespace imagefs::fs
