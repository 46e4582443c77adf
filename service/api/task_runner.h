// TaskRunner: runs imaged's background work (image imports, cache prefetches) on a
// few threads, in submission order. Each piece of work gets a stop_token that is
// signalled at shutdown; work still queued then is dropped (imports left
// unfinished are reconciled at the next start, see recovery.h).
// Thread-safe. The destructor stops and joins the threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/thread_annotations.h"

namespace imagefs::service::api {

struct TaskRunnerOptions {
  // Threads running work. Default: 2.
  size_t threads = 2;
  // Most pieces of work waiting (ResourceExhausted beyond). Default: 1024.
  size_t max_queued = 1024;
};

class TaskRunner {
 public:
  using Work = std::function<void(std::stop_token)>;

  explicit TaskRunner(TaskRunnerOptions options = {});
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Queues `work`. ResourceExhausted when the queue is full, Unavailable once
  // stopping.
  Status Submit(Work work);

  // Blocks until no work is queued or running.
  void Drain();

 private:
  void Run(std::stop_token stop);

  const TaskRunnerOptions options_;
  std::mutex mu_;
  std::condition_variable_any wake_;   // work queued, or stopping
  std::condition_variable idle_;       // the queue emptied and nothing runs
  std::deque<Work> queue_ GUARDED_BY(mu_);
  size_t running_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::jthread> threads_;  // last: joined first in destruction
};

}  // namespace imagefs::service::api
