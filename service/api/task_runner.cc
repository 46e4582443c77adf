#include "service/api/task_runner.h"

#include <exception>

#include "common/log.h"

namespace imagefs::service::api {

TaskRunner::TaskRunner(TaskRunnerOptions options) : options_(options) {
  size_t n = options_.threads == 0 ? 1 : options_.threads;
  for (size_t i = 0; i < n; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { Run(stop); });
  }
}

TaskRunner::~TaskRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (!queue_.empty()) IMAGEFS_LOG(WARN, "stopping: {} queued task(s) dropped", queue_.size());
    queue_.clear();
  }
  for (auto& t : threads_) t.request_stop();
  wake_.notify_all();
  threads_.clear();  // joins
}

Status TaskRunner::Submit(Work work) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Unavailable("imaged is stopping");
    if (queue_.size() >= options_.max_queued) {
      return ResourceExhausted("Too many background tasks are waiting; try again later.");
    }
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
  return Status::Ok();
}

void TaskRunner::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void TaskRunner::Run(std::stop_token stop) {
  for (;;) {
    Work work;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!wake_.wait(lock, stop, [this] { return !queue_.empty(); })) return;  // stopping
      work = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    try {
      work(stop);
    } catch (const std::exception& e) {  // work reports through Status; this is a bug
      IMAGEFS_LOG(ERROR, "background task threw: {}", e.what());
    }
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace imagefs::service::api
