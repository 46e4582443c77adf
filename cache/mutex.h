// A std::mutex and condition variable that clang's -Wthread-safety understands
// (libstdc++'s std::mutex carries no capability annotations). LevelDB's port::Mutex
// and port::CondVar have the same shape.
#pragma once

#include <cassert>
#include <condition_variable>
#include <mutex>

#include "common/thread_annotations.h"

#define IMAGEFS_CAPABILITY(x) IMAGEFS_THREAD_ANNOTATION(capability(x))
#define IMAGEFS_SCOPED_CAPABILITY IMAGEFS_THREAD_ANNOTATION(scoped_lockable)
#define IMAGEFS_ACQUIRE(...) IMAGEFS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define IMAGEFS_RELEASE(...) IMAGEFS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace imagefs::cache {

class IMAGEFS_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() IMAGEFS_ACQUIRE() { mu_.lock(); }
  void Unlock() IMAGEFS_RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class IMAGEFS_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) IMAGEFS_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() IMAGEFS_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable bound to one Mutex, which every Wait must hold.
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Atomically releases `mu` and waits; holds it again on return. May wake
  // spuriously: callers loop on their condition. REQUIRES: `mu` is the mutex this
  // CondVar was built with (passed again so the analysis can see it held).
  void Wait(Mutex* mu) REQUIRES(mu) {
    assert(mu == mu_);
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }

  void SignalAll() { cv_.notify_all(); }

 private:
  [[maybe_unused]] Mutex* const mu_;
  std::condition_variable cv_;
};

}  // namespace imagefs::cache
