// DiskBlockCache: carrying out what eviction decided (punching holes, removing files).
#include <algorithm>
#include <unordered_map>
#include <utility>

#include "cache/disk_block_cache.h"
#include "common/log.h"

namespace imagefs::cache {
namespace {

constexpr int64_t kWarningIntervalMicros = 10'000'000;

}  // namespace

bool DiskBlockCache::RunEvictions(EvictionPlan plan, const std::shared_ptr<Flight>& flight) {
  if (plan.punches.empty() && plan.removals.empty()) {
    return true;  // plan.to_close goes away here, unlocked
  }
  const std::vector<bool> punched = PunchAll(plan.punches);
  {
    MutexLock lock(&shared_->mu);
    for (size_t i = 0; i < plan.punches.size(); ++i) {
      shared_->index.FinishPunch(plan.punches[i], punched[i]);
      shared_->index.MaybeRemove(*plan.punches[i].version, flight, &plan);
    }
    if (!plan.punches.empty()) shared_->punched.SignalAll();
  }
  for (const std::shared_ptr<Version>& v : plan.removals) {
    if (Status s = RemoveFile(PathOf(v->name)); !s.ok()) {
      WarnLimited("cannot remove an empty data file", s);
    }
  }
  {
    MutexLock lock(&shared_->mu);
    for (const std::shared_ptr<Version>& v : plan.removals) {
      v->removing = nullptr;
      shared_->index.EraseVersion(*v);
    }
    flight->Finish();
  }
  counters_.evicted_blocks += plan.evicted_blocks;
  return std::find(punched.begin(), punched.end(), false) == punched.end();
}

std::vector<bool> DiskBlockCache::PunchAll(const std::vector<EvictionPlan::Punch>& punches) {
  std::vector<bool> punched(punches.size(), false);
  std::unordered_map<const Version*, std::shared_ptr<OpenFile>> opened;  // closed files
  for (size_t i = 0; i < punches.size(); ++i) {
    const EvictionPlan::Punch& p = punches[i];
    std::shared_ptr<OpenFile>& file = opened[p.version.get()];
    if (file == nullptr) {
      file = p.file;
    }
    if (file == nullptr) {
      Result<std::shared_ptr<OpenFile>> f = OpenExisting(PathOf(p.version->name), true);
      if (!f.ok()) {
        punched[i] = f.status().code() == StatusCode::kNotFound;  // nothing left to free
        continue;
      }
      file = *f;
    }
    // The whole block_size, so a short last block frees its filesystem block too
    // (punching part of one only zeroes it).
    Status s = PunchHole(file->fd(), p.offset, p.version->name.block_size);
    punched[i] = s.ok();
    if (!s.ok()) {
      WarnLimited("cannot punch an evicted block; it stays allocated until its file goes", s);
    }
  }
  return punched;
}

void DiskBlockCache::WarnLimited(std::string_view what, const Status& status) {
  const int64_t now = clock_.WallMicros();
  int64_t last = last_warning_micros_.load();
  if (now - last < kWarningIntervalMicros ||
      !last_warning_micros_.compare_exchange_strong(last, now)) {
    return;
  }
  IMAGEFS_LOG(WARN, "block cache: {}: {}", what, status.ToString());
}

}  // namespace imagefs::cache
