// JobQueue: a few std::jthreads running queued jobs in FIFO order. Each job gets
// its worker's stop_token; the destructor requests stop (a long job should return
// early), drops the jobs that never started, and joins every worker.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/thread_annotations.h"

namespace imagefs::service::backup {

class JobQueue {
 public:
  using Job = std::function<void(std::stop_token)>;

  // REQUIRES: workers >= 1.
  explicit JobQueue(size_t workers);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  void Submit(Job job);

  // Blocks until no job is queued or running.
  void WaitIdle();

 private:
  void Run(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_ GUARDED_BY(mu_);
  size_t running_ GUARDED_BY(mu_) = 0;

  // Last member: joined before the queue it reads is destroyed.
  std::vector<std::jthread> workers_;
};

}  // namespace imagefs::service::backup
