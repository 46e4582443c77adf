// FuseChannel: the session's /dev/fuse I/O, to speak the part of the FUSE protocol
// that libfuse 3.14 (Debian 12) predates: passthrough (protocol 7.40, Linux 6.9).
//
// The FUSE adapter installs Read and Writev as the session's custom I/O
// (fuse_session_custom_io; this file knows the kernel's protocol, not libfuse). They
// read requests and write replies exactly as libfuse would, and on the way out
//   - adds FUSE_PASSTHROUGH and a stack depth of 1 to the INIT reply, when the kernel
//     offered it and the mount wants it;
//   - adds FOPEN_PASSTHROUGH and a backing id to an open reply that the replying
//     thread marked with a ReplyBacking.
// The structures it touches are the kernel's ABI (include/uapi/linux/fuse.h), which
// only ever grows at the end; they are declared here because Debian 12's headers are
// older. Backing files are registered with the FUSE_DEV_IOC_BACKING_* ioctls, which
// need CAP_SYS_ADMIN.
//
// A stack depth of 1 means the backing files may not live on a stacked filesystem
// (overlayfs, another FUSE mount): registering one fails with ELOOP and the mount
// reads as usual. It keeps the mount itself usable as an overlayfs lower layer.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "fs/passthrough.h"

namespace imagefs::fs {

class FuseChannel final : public KernelPassthrough {
 public:
  explicit FuseChannel(bool want_passthrough) : want_(want_passthrough) {}

  // The mounted /dev/fuse descriptor, for the backing-file ioctls.
  void Attach(int dev_fd) { dev_fd_ = dev_fd; }

  // KernelPassthrough
  bool Available() const override { return available_; }
  Result<int> OpenBacking(int fd) override;
  void CloseBacking(int id) override;

  // While one lives, the open reply this thread sends carries `backing_id` (> 0).
  class ReplyBacking {
   public:
    explicit ReplyBacking(int backing_id);
    ~ReplyBacking();
    ReplyBacking(const ReplyBacking&) = delete;
    ReplyBacking& operator=(const ReplyBacking&) = delete;
  };

  // The custom I/O itself.
  ssize_t Read(int fd, void* buf, size_t len);
  ssize_t Writev(int fd, struct iovec* iov, int count);

 private:
  const bool want_;
  int dev_fd_ = -1;
  std::atomic<uint64_t> init_unique_{0};
  std::atomic<bool> offered_{false};    // the kernel's INIT listed FUSE_PASSTHROUGH
  std::atomic<bool> available_{false};  // our INIT reply turned it on
};

}  // namespace imagefs::fs
