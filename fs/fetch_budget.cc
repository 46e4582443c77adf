#include "fs/fetch_budget.h"

namespace imagefs::fs {

FetchBudget::Lease& FetchBudget::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    Release();
    budget_ = o.budget_;
    bytes_ = o.bytes_;
    o.budget_ = nullptr;
  }
  return *this;
}

void FetchBudget::Lease::Release() {
  if (budget_ != nullptr) {
    budget_->Return(bytes_);
    budget_ = nullptr;
  }
}

FetchBudget::Lease FetchBudget::TryAcquire(uint64_t bytes) {
  bytes = Clamp(bytes);
  std::lock_guard lock(mu_);
  if (bytes == 0 || used_ + bytes > capacity_) return Lease();
  used_ += bytes;
  return Lease(this, bytes);
}

bool FetchBudget::Acquire(uint64_t bytes, std::chrono::steady_clock::time_point deadline,
                          Lease* out) {
  bytes = Clamp(bytes);
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return used_ + bytes <= capacity_; })) {
      return false;
    }
    used_ += bytes;
  }
  *out = Lease(this, bytes);  // outside mu_: replacing *out may return its old bytes
  return true;
}

uint64_t FetchBudget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

void FetchBudget::Return(uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    used_ -= bytes;
  }
  cv_.notify_all();
}

}  // namespace imagefs::fs
