// Small POSIX file helpers for the local store: an owning fd, a pread-backed
// RangeReader, and write/sync calls that retry EINTR and map errno to Status.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/range_reader.h"
#include "common/status.h"

namespace imagefs::service {

// Owns a file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// Reads an immutable file through its own descriptor with pread(2), so
// concurrent ReadAt calls are safe and fd() works for sendfile(2).
class FileRangeReader : public RangeReader {
 public:
  // `size` is the file's size, fixed for the reader's lifetime.
  FileRangeReader(UniqueFd fd, uint64_t size) : fd_(std::move(fd)), size_(size) {}

  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override;
  int fd() const override { return fd_.get(); }

 private:
  UniqueFd fd_;
  uint64_t size_;
};

// Writes all of `data` at `offset`. ENOSPC/EDQUOT -> ResourceExhausted.
Status PwriteAll(int fd, uint64_t offset, std::string_view data);

// fsync(2) of a file or directory descriptor.
Status Fsync(int fd, std::string_view what);

}  // namespace imagefs::service
