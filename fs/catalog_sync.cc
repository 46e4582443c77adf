#include "fs/catalog_sync.h"

#include <pthread.h>

#include "common/log.h"

namespace imagefs::fs {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kSyncCallLimit{5000};  // one refresh attempt, retries included
constexpr milliseconds kSaveInterval{10000};  // persist the listing at most this often
constexpr size_t kMaxMisses = 10000;

}  // namespace

CatalogSync::CatalogSync(const SyncOptions& options, CatalogClient& client, CatalogState& state,
                         StateStore* store, Clock& clock)
    : options_(options), client_(client), state_(state), store_(store), clock_(clock) {}

CatalogSync::~CatalogSync() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  MaybeSave(/*force=*/true);
}

void CatalogSync::Start(KernelNotifier* notifier) {
  notifier_ = notifier;
  if (store_ != nullptr) {
    auto listing = store_->LoadListing();
    if (listing.ok()) {
      size_t n = listing->size();
      state_.ApplyFull(std::move(*listing));
      std::lock_guard lock(mu_);
      has_state_ = true;
      IMAGEFS_LOG_INFO("loaded the last known listing ({} images) from {}", n, store_->dir());
    }
  }
  {
    std::lock_guard lock(mu_);
    RequestLocked();
  }
  thread_ = std::jthread([this](std::stop_token st) { Run(st); });
}

CallOptions CatalogSync::SyncCall() const {
  return CallOptions{clock_.Now() + std::min(options_.retry_deadline, kSyncCallLimit), true};
}

void CatalogSync::RequestLocked() {
  requested_ = true;
  wake_.notify_one();
}

void CatalogSync::EnsureFresh() {
  std::unique_lock lock(mu_);
  auto now = clock_.Now();
  if (synced_ && now - last_success_ < options_.list_ttl) return;
  if (down_) {
    // Known down: answer from the state at once; try again only after a pause. Only
    // a mount that knows nothing yet waits for that attempt.
    bool due = now >= next_attempt_;
    if (due) RequestLocked();
    if (has_state_ || !due) return;
  }
  RequestLocked();
  uint64_t target = started_ + 1;
  auto limit = has_state_ ? options_.sync_wait : options_.retry_deadline;
  done_.wait_for(lock, limit, [&] { return completed_ >= target || (down_ && has_state_); });
}

void CatalogSync::Run(std::stop_token stop) {
  pthread_setname_np(pthread_self(), "imagefs-sync");
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    wake_.wait(lock, stop, [&] { return requested_; });
    if (stop.stop_requested()) break;
    requested_ = false;
    ++started_;
    bool full = !full_done_ || clock_.Now() - last_full_ >= options_.resync_interval;
    lock.unlock();
    Status s = SyncOnce(full);
    lock.lock();
    Finish(s, full);
    lock.unlock();
    MaybeSave(/*force=*/false);
    lock.lock();
  }
}

Status CatalogSync::SyncOnce(bool full) {
  ListFilter filter;
  int64_t settled;
  {
    std::lock_guard lock(mu_);
    settled = settled_;
  }
  if (!full && settled > 0) filter.updated_after = settled;
  auto start = clock_.Now();
  auto listing = client_.ListImages(filter, SyncCall());
  if (!listing.ok()) return listing.status();
  size_t n = listing->images.size();
  if (!filter.updated_after) {
    auto ms = std::chrono::duration_cast<milliseconds>(clock_.Now() - start).count();
    IMAGEFS_LOG_INFO("full listing: {} images in {} ms", n, ms);
  }
  std::vector<Change> changes = filter.updated_after
                                    ? state_.ApplyListed(std::move(listing->images))
                                    : state_.ApplyFull(std::move(listing->images));
  IMAGEFS_LOG_DEBUG("{} listing: {} images, {} changes", full ? "full" : "incremental", n,
                    changes.size());
  // Every update up to the second before the service's clock read was visible to this
  // listing; later seconds may still gain images. Without a Date header, the newest
  // second seen stays open.
  constexpr int64_t kSecond = 1'000'000;
  int64_t mark = state_.watermark() / kSecond * kSecond;
  int64_t next_settled = mark - kSecond;
  if (listing->server_time_us) {
    next_settled = std::min(mark, *listing->server_time_us / kSecond * kSecond - kSecond);
  }
  {
    std::lock_guard lock(mu_);
    settled_ = std::max<int64_t>(settled_, std::max<int64_t>(next_settled, 0));
    if (!changes.empty()) dirty_ = true;
  }
  Publish(std::move(changes));
  return Status::Ok();
}

void CatalogSync::Finish(const Status& s, bool full) {
  ++completed_;
  auto now = clock_.Now();
  if (s.ok()) {
    if (down_) IMAGEFS_LOG_INFO("the image service answers again; listings are fresh");
    down_ = false;
    failures_ = 0;
    synced_ = true;
    has_state_ = true;
    last_success_ = now;
    if (full) {
      full_done_ = true;
      last_full_ = now;
      dirty_ = true;  // a full listing is worth keeping even without changes
    }
  } else {
    if (!down_) {
      IMAGEFS_LOG_WARN("catalog refresh failed: {}; answering from the last known state",
                       s.ToString());
    }
    down_ = true;
    ++failures_;
    next_attempt_ = now + std::min(milliseconds(250 << std::min(failures_, 5)), milliseconds(5000));
  }
  done_.notify_all();
}

void CatalogSync::MaybeSave(bool force) {
  if (store_ == nullptr) return;
  {
    std::lock_guard lock(mu_);
    auto now = clock_.Now();
    if (!dirty_ || !synced_ || (!force && now - last_save_ < kSaveInterval)) return;
    dirty_ = false;
    last_save_ = now;
  }
  Status s = store_->SaveListing(state_.ListedImages());
  if (!s.ok()) IMAGEFS_LOG_WARN("cannot persist the listing: {}", s.ToString());
}

Result<ImageNode> CatalogSync::ResolveId(const std::string& id) {
  if (auto n = state_.FindById(id); n && !n->gone) return *n;
  {
    std::lock_guard lock(mu_);
    auto now = clock_.Now();
    auto it = misses_.find(id);
    if (it != misses_.end() && it->second > now) return NotFound("no image " + id);
    if (down_ && now < next_attempt_) return Unavailable("the image service is unreachable");
  }
  auto image = client_.GetImage(id, SyncCall());
  if (image.ok() && image->status != wire::ImageStatus::kDeleted) {
    Publish(state_.ApplyShown(std::move(*image)));
    auto n = state_.FindById(id);
    if (n && !n->gone) return *n;
    return Internal("image vanished while being added");
  }
  if (image.ok() || image.status().code() == StatusCode::kNotFound) {
    Publish(state_.MarkGone(id));
    std::lock_guard lock(mu_);
    if (misses_.size() >= kMaxMisses) misses_.clear();
    misses_[id] = clock_.Now() + options_.list_ttl;
    return NotFound("no image " + id);
  }
  return image.status();
}

void CatalogSync::Publish(std::vector<Change> changes) {
  if (!changes.empty() && notifier_ != nullptr) notifier_->Notify(std::move(changes));
}

bool CatalogSync::service_down() const {
  std::lock_guard lock(mu_);
  return down_;
}

}  // namespace imagefs::fs
