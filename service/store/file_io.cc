#include "service/store/file_io.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace imagefs::service {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) {
    ::close(fd_);  // Linux releases the descriptor even when close() fails
    fd_ = -1;
  }
}

Result<size_t> FileRangeReader::ReadAt(uint64_t offset, void* buf, size_t n) {
  if (offset >= size_) {
    return size_t{0};
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  while (true) {
    ssize_t got = ::pread(fd_.get(), buf, n, static_cast<off_t>(offset));
    if (got >= 0) {
      return static_cast<size_t>(got);
    }
    if (errno != EINTR) {
      return ErrnoStatus(errno, "read image data");
    }
  }
}

Status PwriteAll(int fd, uint64_t offset, std::string_view data) {
  while (!data.empty()) {
    ssize_t put = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (put < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, "write image data");
    }
    if (put == 0) {
      return ResourceExhausted("write image data: no progress (disk full?)");
    }
    data.remove_prefix(static_cast<size_t>(put));
    offset += static_cast<uint64_t>(put);
  }
  return Status::Ok();
}

Status Fsync(int fd, std::string_view what) {
  if (::fsync(fd) != 0) {
    return ErrnoStatus(errno, "fsync " + std::string(what));
  }
  return Status::Ok();
}

}  // namespace imagefs::service
