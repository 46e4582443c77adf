#include "cache/block_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace imagefs::cache {
namespace {

Result<std::shared_ptr<OpenFile>> Adopt(int fd, std::string_view context) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Status status = ErrnoStatus(errno, context);
    close(fd);
    return status;
  }
  return std::make_shared<OpenFile>(fd, static_cast<uint64_t>(st.st_dev),
                                    static_cast<uint64_t>(st.st_ino));
}

Result<int> OpenFd(const std::string& path, int flags, mode_t mode = 0600) {
  int fd;
  do {
    fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return ErrnoStatus(errno, "open " + path);
  }
  return fd;
}

// Returns the next offset of `whence` (SEEK_DATA/SEEK_HOLE) at or after `from`, or
// `end` when there is none.
Result<uint64_t> Seek(int fd, uint64_t from, int whence, uint64_t end) {
  off_t pos = lseek(fd, static_cast<off_t>(from), whence);
  if (pos < 0) {
    if (errno == ENXIO) {
      return end;
    }
    return ErrnoStatus(errno, "lseek");
  }
  return static_cast<uint64_t>(pos);
}

}  // namespace

OpenFile::~OpenFile() { close(fd_); }

Result<std::shared_ptr<OpenFile>> OpenOrCreate(const std::string& path) {
  IMAGEFS_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDWR | O_CREAT));
  return Adopt(fd, "fstat " + path);
}

Result<std::shared_ptr<OpenFile>> OpenExisting(const std::string& path, bool writable) {
  IMAGEFS_ASSIGN_OR_RETURN(int fd, OpenFd(path, writable ? O_RDWR : O_RDONLY));
  return Adopt(fd, "fstat " + path);
}

Result<std::shared_ptr<OpenFile>> MemoryFileWith(std::string_view bytes) {
  int fd = memfd_create("imagefs-block", MFD_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, "memfd_create");
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> file, Adopt(fd, "fstat memfd"));
  IMAGEFS_RETURN_IF_ERROR(WriteAt(file->fd(), bytes, 0));
  return file;
}

Result<size_t> ReadAt(int fd, void* buf, size_t n, uint64_t offset) {
  size_t done = 0;
  while (done < n) {
    ssize_t r =
        pread(fd, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r < 0) {
      return ErrnoStatus(errno, "pread");
    }
    if (r == 0) {
      break;
    }
    done += static_cast<size_t>(r);
  }
  return done;
}

Status WriteAt(int fd, std::string_view bytes, uint64_t offset, size_t max_piece) {
  size_t done = 0;
  while (done < bytes.size()) {
    const size_t piece = std::min(bytes.size() - done, std::max<size_t>(max_piece, 1));
    ssize_t w = pwrite(fd, bytes.data() + done, piece, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w < 0) {
      return ErrnoStatus(errno, "pwrite");
    }
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status PunchHole(int fd, uint64_t offset, uint64_t length) {
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                static_cast<off_t>(length)) == 0) {
    return Status::Ok();
  }
  if (errno == EOPNOTSUPP || errno == ENOSYS) {
    return Unimplemented("filesystem cannot punch holes");
  }
  return ErrnoStatus(errno, "fallocate(PUNCH_HOLE)");
}

bool CanPunchHoles(const std::string& dir) {
  Result<int> fd = OpenFd(dir, O_TMPFILE | O_RDWR);
  if (!fd.ok()) {
    // No O_TMPFILE: fall back to a named probe, removed at once.
    std::string path = dir + "/punch-probe.tmp";
    fd = OpenFd(path, O_RDWR | O_CREAT | O_TRUNC);
    if (!fd.ok()) {
      return false;
    }
    unlink(path.c_str());
  }
  OpenFile file(*fd, 0, 0);
  std::string bytes(8192, 'x');
  return WriteAt(file.fd(), bytes, 0).ok() && PunchHole(file.fd(), 0, 4096).ok();
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> DataExtents(int fd) {
  IMAGEFS_ASSIGN_OR_RETURN(FileUsage usage, UsageOf(fd));
  std::vector<std::pair<uint64_t, uint64_t>> extents;
  uint64_t pos = 0;
  while (pos < usage.size) {
    IMAGEFS_ASSIGN_OR_RETURN(uint64_t start, Seek(fd, pos, SEEK_DATA, usage.size));
    if (start >= usage.size) {
      break;
    }
    IMAGEFS_ASSIGN_OR_RETURN(uint64_t end, Seek(fd, start, SEEK_HOLE, usage.size));
    end = std::min(end, usage.size);
    if (end <= start) {
      break;  // a racing truncate; what we have is all there is
    }
    extents.emplace_back(start, end);
    pos = end;
  }
  return extents;
}

Result<FileUsage> UsageOf(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, "fstat");
  }
  return FileUsage{static_cast<uint64_t>(st.st_blocks) * 512, static_cast<uint64_t>(st.st_size)};
}

Result<FileStamp> StampOf(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, "fstat");
  }
  auto ns = [](const struct timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
  return FileStamp{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                   ns(st.st_ctim), ns(st.st_mtim)};
}

Result<uint64_t> FreeBytes(const std::string& path) {
  struct statvfs vfs {};
  if (statvfs(path.c_str(), &vfs) != 0) {
    return ErrnoStatus(errno, "statvfs " + path);
  }
  return static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
}

Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           std::string_view contents) {
  std::string path = dir + "/" + name;
  std::string tmp = path + ".tmp";
  IMAGEFS_ASSIGN_OR_RETURN(int fd, OpenFd(tmp, O_WRONLY | O_CREAT | O_TRUNC));
  OpenFile file(fd, 0, 0);
  IMAGEFS_RETURN_IF_ERROR(WriteAt(file.fd(), contents, 0));
  if (fsync(file.fd()) != 0) {
    return ErrnoStatus(errno, "fsync " + tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status status = ErrnoStatus(errno, "rename " + tmp);
    unlink(tmp.c_str());
    return status;
  }
  IMAGEFS_ASSIGN_OR_RETURN(int dir_fd, OpenFd(dir, O_RDONLY | O_DIRECTORY));
  OpenFile dir_file(dir_fd, 0, 0);
  if (fsync(dir_file.fd()) != 0) {
    return ErrnoStatus(errno, "fsync " + dir);
  }
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes) {
  IMAGEFS_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDONLY));
  OpenFile file(fd, 0, 0);
  IMAGEFS_ASSIGN_OR_RETURN(FileUsage usage, UsageOf(file.fd()));
  if (usage.size > max_bytes) {
    return ResourceExhausted(path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string contents(usage.size, '\0');
  IMAGEFS_ASSIGN_OR_RETURN(size_t n, ReadAt(file.fd(), contents.data(), contents.size(), 0));
  contents.resize(n);
  return contents;
}

Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') {
      continue;
    }
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "mkdir " + prefix);
    }
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return ErrnoStatus(errno, "stat " + path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return FailedPrecondition(path + " is not a directory");
  }
  return Status::Ok();
}

Result<std::shared_ptr<OpenFile>> LockFile(const std::string& path) {
  IMAGEFS_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDWR | O_CREAT));
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> file, Adopt(fd, "fstat " + path));
  if (flock(file->fd(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return FailedPrecondition(path + " is locked by another process");
    }
    return ErrnoStatus(errno, "flock " + path);
  }
  return file;
}

Result<std::vector<std::string>> ListFiles(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return ErrnoStatus(errno, "opendir " + dir);
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      names.push_back(std::move(name));
    }
  }
  closedir(d);
  return names;
}

Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "unlink " + path);
  }
  return Status::Ok();
}

}  // namespace imagefs::cache
