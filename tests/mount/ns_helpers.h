// Small syscall helpers shared by the members/, backups/ and leak mount tests.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace imagefs::fstest {

// What `touch` does: open with O_CREAT for writing, then set the times. errno or 0.
inline int Touch(const std::string& path, int extra_flags = 0) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NONBLOCK | extra_flags, 0666);
  if (fd < 0) return errno;
  int err = ::futimens(fd, nullptr) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

// The value of xattr `name`, or "" with *err set.
inline std::string GetX(const std::string& path, const std::string& name, int* err = nullptr) {
  char buf[4096];
  ssize_t n = ::getxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  if (err != nullptr) *err = n < 0 ? errno : 0;
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

inline int SetX(const std::string& path, const std::string& name, const std::string& value) {
  return ::setxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) == 0 ? 0 : errno;
}

inline int Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? 0 : errno;
}

}  // namespace imagefs::fstest
