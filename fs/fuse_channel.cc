#include "fs/fuse_channel.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/log.h"

namespace imagefs::fs {
namespace {

// From include/uapi/linux/fuse.h, protocol 7.40.
constexpr uint32_t kOpInit = 26;                       // FUSE_INIT
constexpr uint32_t kInitExt = 1u << 30;                // FUSE_INIT_EXT: flags2 is valid
constexpr uint32_t kPassthroughFlags2 = 1u << (37 - 32);  // FUSE_PASSTHROUGH, in flags2
constexpr uint32_t kOpenPassthrough = 1u << 7;         // FOPEN_PASSTHROUGH
constexpr uint32_t kStackDepth = 1;

struct InHeader {
  uint32_t len;
  uint32_t opcode;
  uint64_t unique;
  uint64_t nodeid;
  uint32_t uid, gid, pid;
  uint16_t total_extlen, padding;
};
struct InitIn {
  uint32_t major, minor, max_readahead, flags, flags2;
  uint32_t unused[11];
};
struct OutHeader {
  uint32_t len;
  int32_t error;
  uint64_t unique;
};
struct InitOut {
  uint32_t major, minor, max_readahead, flags;
  uint16_t max_background, congestion_threshold;
  uint32_t max_write, time_gran;
  uint16_t max_pages, map_alignment;
  uint32_t flags2, max_stack_depth;
  uint32_t unused[6];
};
struct OpenOut {
  uint64_t fh;
  uint32_t open_flags;
  int32_t backing_id;
};
struct BackingMap {
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
static_assert(sizeof(InHeader) == 40 && sizeof(InitIn) == 64 && sizeof(OutHeader) == 16);
static_assert(sizeof(InitOut) == 64 && sizeof(OpenOut) == 16 && sizeof(BackingMap) == 16);

constexpr unsigned long kIocBackingOpen = _IOW(229, 1, BackingMap);
constexpr unsigned long kIocBackingClose = _IOW(229, 2, uint32_t);

// The backing id the open reply being sent by this thread carries (0: none).
thread_local int t_reply_backing = 0;

}  // namespace

ssize_t FuseChannel::Read(int fd, void* buf, size_t len) {
  ssize_t n = ::read(fd, buf, len);
  if (n >= static_cast<ssize_t>(sizeof(InHeader) + sizeof(InitIn))) {
    const auto* in = static_cast<const InHeader*>(buf);
    if (in->opcode == kOpInit) {
      const auto* init = reinterpret_cast<const InitIn*>(in + 1);
      offered_ = (init->flags & kInitExt) != 0 && (init->flags2 & kPassthroughFlags2) != 0;
      init_unique_ = in->unique;
    }
  }
  return n;
}

ssize_t FuseChannel::Writev(int fd, struct iovec* iov, int count) {
  if (count == 2 && iov[0].iov_len == sizeof(OutHeader)) {
    const auto* out = static_cast<const OutHeader*>(iov[0].iov_base);
    if (out->error == 0 && t_reply_backing > 0 && iov[1].iov_len == sizeof(OpenOut)) {
      auto* open = static_cast<OpenOut*>(iov[1].iov_base);
      open->open_flags |= kOpenPassthrough;
      open->backing_id = t_reply_backing;
    } else if (out->error == 0 && want_ && offered_ && out->unique == init_unique_ &&
               iov[1].iov_len == sizeof(InitOut)) {
      auto* init = static_cast<InitOut*>(iov[1].iov_base);
      if ((init->flags & kInitExt) != 0) {  // libfuse echoes INIT_EXT when flags2 counts
        init->flags2 |= kPassthroughFlags2;
        init->max_stack_depth = kStackDepth;
        available_ = true;
        offered_ = false;  // one INIT per connection
        IMAGEFS_LOG_INFO("FUSE passthrough on: wholly cached images are read by the kernel");
      }
    }
  }
  return ::writev(fd, iov, count);
}

Result<int> FuseChannel::OpenBacking(int fd) {
  // The kernel reads through its own reference to the file it is given: give it a
  // read-only one, whatever the cache opened.
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  int ro = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (ro < 0) return ErrnoStatus(errno, "reopen " + self);
  BackingMap map{ro, 0, 0};
  int id = ::ioctl(dev_fd_, kIocBackingOpen, &map);
  int err = errno;
  ::close(ro);
  if (id < 0) return ErrnoStatus(err, "FUSE_DEV_IOC_BACKING_OPEN");
  if (id == 0) return Internal("FUSE_DEV_IOC_BACKING_OPEN returned id 0");
  return id;
}

void FuseChannel::CloseBacking(int id) {
  uint32_t v = static_cast<uint32_t>(id);
  if (::ioctl(dev_fd_, kIocBackingClose, &v) != 0) {
    IMAGEFS_LOG_WARN("FUSE_DEV_IOC_BACKING_CLOSE {}: {}", id, ErrnoStatus(errno, "").ToString());
  }
}

FuseChannel::ReplyBacking::ReplyBacking(int backing_id) { t_reply_backing = backing_id; }
FuseChannel::ReplyBacking::~ReplyBacking() { t_reply_backing = 0; }

}  // namespace imagefs::fs
