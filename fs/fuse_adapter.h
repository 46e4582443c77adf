// The FUSE side of imagefs: libfuse3's low-level API in front of ImageFs. The only
// file that includes <fuse_lowlevel.h> is fuse_adapter.cc.
#pragma once

#include <functional>
#include <memory>

#include "common/result.h"
#include "fs/image_fs.h"
#include "fs/mount_options.h"

namespace imagefs::fs {

// Whatever the filesystem needs alive while mounted (client, cache, ImageFs...).
class MountedFilesystem {
 public:
  virtual ~MountedFilesystem() = default;
  virtual ImageFs& fs() = 0;
};

// Builds the filesystem. Called after mounting and (unless -f) after daemonizing,
// because threads do not survive fork().
using FilesystemFactory = std::function<Result<std::unique_ptr<MountedFilesystem>>()>;

// Mounts at options.mountpoint, daemonizes unless options.foreground, builds the
// filesystem with `factory`, serves requests until unmounted (fusermount3 -u) or
// signalled (SIGINT, SIGTERM, SIGHUP), then tears everything down. Returns the
// process exit code.
int RunFuseSession(const MountOptions& options, const FilesystemFactory& factory);

}  // namespace imagefs::fs
