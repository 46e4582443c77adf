// MountedFs: runs the imagefs binary in the foreground (-f) on a fresh mount point
// for a mount test, and always cleans up: fusermount3 -u -z, then SIGTERM, then
// SIGKILL (a leaked mount breaks every later test). Mount() waits up to 10 s for
// statfs to show a FUSE filesystem and fails early if the process exits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.h"
#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fstest {

struct MountSpec {
  std::string url;
  std::string token;
  // Required: the cache directory (kept by the caller, so a remount can reuse it).
  std::string cache_dir;
  // More -o options, e.g. "retry_deadline=2s".
  std::vector<std::string> options;
  // Default: the imagefs built with the tests (IMAGEFS_BINARY).
  std::string binary;
};

class MountedFs {
 public:
  static Result<std::unique_ptr<MountedFs>> Mount(const MountSpec& spec);
  ~MountedFs();
  MountedFs(const MountedFs&) = delete;
  MountedFs& operator=(const MountedFs&) = delete;

  const std::string& path() const { return mountpoint_; }
  std::string Path(const std::string& relative) const { return mountpoint_ + "/" + relative; }
  pid_t pid() const { return pid_; }
  // Resident memory of the imagefs process (VmRSS), 0 when it has exited.
  uint64_t RssBytes() const;
  // Unmounts and waits for the process to exit (its cache lock is then free).
  Status Unmount();
  // What the process wrote to stderr so far.
  std::string Log() const;

 private:
  MountedFs() = default;
  void Kill();

  std::unique_ptr<TempDir> dir_;
  std::string mountpoint_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool mounted_ = false;
};

// True when this process can mount FUSE filesystems here.
bool FuseAvailable();

}  // namespace imagefs::fstest
