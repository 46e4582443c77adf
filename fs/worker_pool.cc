#include "fs/worker_pool.h"

#include <pthread.h>

namespace imagefs::fs {

WorkerPool::WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this](std::stop_token st) { Run(st); });
  }
}

WorkerPool::~WorkerPool() {
  for (auto& t : threads_) t.request_stop();
  {
    std::lock_guard lock(mu_);
    jobs_.clear();
  }
  threads_.clear();  // joins
}

bool WorkerPool::Submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void WorkerPool::Run(std::stop_token stop) {
  pthread_setname_np(pthread_self(), "imagefs-fetch");
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait(lock, stop, [&] { return !jobs_.empty(); })) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace imagefs::fs
