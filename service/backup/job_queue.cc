#include "service/backup/job_queue.h"

#include <utility>

namespace imagefs::service::backup {

JobQueue::JobQueue(size_t workers) {
  workers_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) {
    workers_.emplace_back([this](std::stop_token stop) { Run(stop); });
  }
}

JobQueue::~JobQueue() {
  for (auto& w : workers_) w.request_stop();
  work_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void JobQueue::Submit(Job job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void JobQueue::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return jobs_.empty() && running_ == 0; });
}

void JobQueue::Run(std::stop_token stop) {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, stop, [this] { return !jobs_.empty(); });
      if (stop.stop_requested()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    job(stop);
    {
      std::lock_guard lock(mu_);
      --running_;
    }
    idle_cv_.notify_all();
  }
}

}  // namespace imagefs::service::backup
