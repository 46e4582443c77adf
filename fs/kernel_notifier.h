// KernelNotifier: how the filesystem logic tells the kernel that what it cached is
// stale (a renamed or vanished name, changed attributes). Implemented by the FUSE
// adapter, which sends the notifications from its own thread, so callers may notify
// from anywhere, including inside a request handler. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fs/catalog_state.h"

namespace imagefs::fs {

class KernelNotifier {
 public:
  virtual ~KernelNotifier() = default;
  // Queues the notifications `changes` call for; never blocks on the kernel.
  virtual void Notify(std::vector<Change> changes) = 0;
};

// Drops everything (unit tests, and before the session exists).
class NullNotifier final : public KernelNotifier {
 public:
  void Notify(std::vector<Change>) override {}
};

}  // namespace imagefs::fs
