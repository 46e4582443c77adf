// WorkerPool: a fixed set of threads running queued jobs (read-ahead fetches). The
// queue is bounded: Submit refuses when it is full, so read-ahead sheds load instead
// of queueing without end. The destructor drops queued jobs and joins the threads
// after the running jobs finish. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/thread_annotations.h"

namespace imagefs::fs {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; false (and `job` is not run) when the queue is full.
  bool Submit(std::function<void()> job);
  size_t queued() const;

 private:
  void Run(std::stop_token stop);

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  std::vector<std::jthread> threads_;
};

}  // namespace imagefs::fs
