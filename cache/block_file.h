// The system calls the block cache makes on its files, each returning Status
// (errno converted once, here). No cache logic: offsets and lengths come in, bytes or
// extents go out.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace imagefs::cache {

// An open file descriptor, closed when the last shared owner lets go. The cache's fd
// table and every BlockRef pin served from the file share it, so a pinned fd stays
// valid after the table closes its copy. Not copyable.
class OpenFile {
 public:
  // Takes ownership of `fd`.
  OpenFile(int fd, uint64_t dev, uint64_t ino) : fd_(fd), dev_(dev), ino_(ino) {}
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  int fd() const { return fd_; }
  // Identity of the inode, to notice a file replaced behind our back.
  std::pair<uint64_t, uint64_t> id() const { return {dev_, ino_}; }

  // Held around the cache's buffered writes to this file. Such a write holds the
  // inode's lock while it copies into page cache pages, and the kernel's waiters
  // for that lock spin; on a VM, where a first touch of a page can stall the
  // copying vCPU, the spinning ate a third of the mount's CPU in a cold convert.
  // Waiters on this mutex sleep instead.
  std::mutex& write_mu() { return write_mu_; }

 private:
  std::mutex write_mu_;
  const int fd_;
  const uint64_t dev_;
  const uint64_t ino_;
};

// Opens `path` read-write, creating it (mode 0600) if absent.
Result<std::shared_ptr<OpenFile>> OpenOrCreate(const std::string& path);

// Opens an existing `path`, read-write if `writable`; NotFound if absent.
Result<std::shared_ptr<OpenFile>> OpenExisting(const std::string& path, bool writable);

// An anonymous in-memory file (memfd) holding `bytes` at offset 0, for serving a
// block that could not be stored on disk: it needs no disk space and vanishes with
// its last reference. ResourceExhausted/Internal if the kernel refuses.
Result<std::shared_ptr<OpenFile>> MemoryFileWith(std::string_view bytes);

// Reads up to `n` bytes at `offset` into `buf`, retrying short reads; returns how many
// were read (fewer than `n` only at end of file).
Result<size_t> ReadAt(int fd, void* buf, size_t n, uint64_t offset);

// Writes all of `bytes` at `offset`, at most `max_piece` bytes per pwrite, retrying
// short writes. ResourceExhausted when the disk is full.
Status WriteAt(int fd, std::string_view bytes, uint64_t offset,
               size_t max_piece = std::numeric_limits<size_t>::max());

// Deallocates [offset, offset + length) keeping the file size (reads return zeros).
// Unimplemented if the filesystem cannot punch holes.
Status PunchHole(int fd, uint64_t offset, uint64_t length);

// True if files in `dir` support PunchHole (probed on an unlinked temporary file).
bool CanPunchHoles(const std::string& dir);

// Regions of `fd` that hold data, as [start, end) pairs in order, found with
// SEEK_DATA/SEEK_HOLE. A filesystem without hole tracking reports the whole file.
Result<std::vector<std::pair<uint64_t, uint64_t>>> DataExtents(int fd);

// Bytes the file occupies on disk (st_blocks * 512) and its size.
struct FileUsage {
  uint64_t allocated = 0;
  uint64_t size = 0;
};
Result<FileUsage> UsageOf(int fd);

// What changes whenever anyone writes, truncates, punches or replaces a file: its
// inode number, size, and status-change and modification times (nanoseconds). The
// ctime cannot be set from user space; it moves on every change to the file.
struct FileStamp {
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t ctime_ns = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
Result<FileStamp> StampOf(int fd);

// Bytes available to unprivileged users on the filesystem holding `path`.
Result<uint64_t> FreeBytes(const std::string& path);

// Replaces `dir`/`name` with `contents` so a crash leaves the old or the new file,
// never a mix: write to `name`.tmp, fsync, rename, fsync the directory.
Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           std::string_view contents);

// The contents of `path`; NotFound if absent, ResourceExhausted if larger than
// `max_bytes`.
Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes);

// Creates `path` and its parents (mode 0700) if missing.
Status MakeDirs(const std::string& path);

// Takes an exclusive advisory lock (flock) on `path`, creating it; the lock lasts as
// long as the returned file. FailedPrecondition if another process holds it.
Result<std::shared_ptr<OpenFile>> LockFile(const std::string& path);

// Names of the regular files in `dir` (no recursion).
Result<std::vector<std::string>> ListFiles(const std::string& dir);

// Removes `path`; OK if it is already gone.
Status RemoveFile(const std::string& path);

}  // namespace imagefs::cache
