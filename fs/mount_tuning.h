// Kernel knobs of a live mount that libfuse does not expose. FUSE-free.
#pragma once

#include <string>

#include "common/result.h"

namespace imagefs::fs {

// The "major:minor" of the filesystem mounted at `mountpoint` (the last one mounted
// there), from /proc/self/mountinfo. NotFound if nothing is mounted there.
Result<std::string> MountDevice(const std::string& mountpoint);

// Sets the mount's read-ahead (/sys/class/bdi/<major:minor>/read_ahead_kb). The
// kernel only lets FUSE lower it at INIT, so this is the way to raise it; it needs
// root (a user mount keeps the default 128 KiB and logs why).
Status SetMountReadAhead(const std::string& mountpoint, int kb);

}  // namespace imagefs::fs
