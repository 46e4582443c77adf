// CatalogSync: keeps CatalogState fresh without making metadata operations wait on
// the network (docs/semantics.md §6).
//
// - A listing younger than list_ttl is served as is.
// - Older: the caller asks for a refresh and waits at most sync_wait for it (all
//   callers share one refresh); if it is slow, they answer from what is known.
// - A refresh is incremental (images updated after the last settled second: one small
//   request; a second is settled once the service's Date header shows a later one)
//   unless the last full listing is older than resync_interval; full
//   listings catch deletions and images that left the caller's view.
// - When a refresh fails the service is marked down: nobody waits any more, and a
//   new attempt is made (on demand) after a growing pause. The first success clears it.
// - At start the last persisted listing (if any) is loaded, so a remount while the
//   service is down still shows the catalog.
// A background thread does the refreshing; it is joined by the destructor.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "fs/catalog_client.h"
#include "fs/catalog_state.h"
#include "fs/kernel_notifier.h"
#include "fs/state_store.h"

namespace imagefs::fs {

struct SyncOptions {
  std::chrono::milliseconds list_ttl{1000};
  std::chrono::milliseconds resync_interval{60000};
  std::chrono::milliseconds sync_wait{1000};
  std::chrono::milliseconds retry_deadline{30000};
};

class CatalogSync {
 public:
  // `store` may be null (nothing persisted). All references must outlive this.
  CatalogSync(const SyncOptions& options, CatalogClient& client, CatalogState& state,
              StateStore* store, Clock& clock);
  ~CatalogSync();
  CatalogSync(const CatalogSync&) = delete;
  CatalogSync& operator=(const CatalogSync&) = delete;

  // Loads the persisted listing, starts the thread and the first (full) listing.
  void Start(KernelNotifier* notifier);

  // Returns when the state is fresh, or the wait limit passed, or the service is
  // known to be down. Never fails: the caller answers from the state either way.
  void EnsureFresh();

  // The live image with this id, asking the service (GET /v2/images/{id}) if the
  // state does not know it. Answers are remembered: found images join the state;
  // misses are cached for list_ttl. NotFound, or Unavailable while the service is down.
  Result<ImageNode> ResolveId(const std::string& id);

  // Passes state changes made elsewhere (e.g. after a PATCH) to the kernel.
  void Publish(std::vector<Change> changes);

  bool service_down() const;

 private:
  void Run(std::stop_token stop);
  Status SyncOnce(bool full);
  void RequestLocked() REQUIRES(mu_);
  void Finish(const Status& s, bool full) REQUIRES(mu_);
  void MaybeSave(bool force);
  CallOptions SyncCall() const;

  const SyncOptions options_;
  CatalogClient& client_;
  CatalogState& state_;
  StateStore* store_;
  Clock& clock_;
  KernelNotifier* notifier_ = nullptr;  // set by Start, before the thread runs

  mutable std::mutex mu_;
  std::condition_variable_any wake_;  // the thread waits for requests
  std::condition_variable done_;      // callers wait for completions
  bool requested_ GUARDED_BY(mu_) = false;
  uint64_t started_ GUARDED_BY(mu_) = 0;
  uint64_t completed_ GUARDED_BY(mu_) = 0;
  bool has_state_ GUARDED_BY(mu_) = false;
  bool synced_ GUARDED_BY(mu_) = false;  // at least one refresh succeeded
  bool full_done_ GUARDED_BY(mu_) = false;
  bool down_ GUARDED_BY(mu_) = false;
  int failures_ GUARDED_BY(mu_) = 0;
  bool dirty_ GUARDED_BY(mu_) = false;
  // Every image updated at or before this second has been seen (µs; 0: none yet).
  // Incremental listings ask for updated_at > settled_.
  int64_t settled_ GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point last_success_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_full_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point next_attempt_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_save_ GUARDED_BY(mu_);
  std::map<std::string, std::chrono::steady_clock::time_point> misses_ GUARDED_BY(mu_);
  std::jthread thread_;  // last: joined before the members above go away
};

}  // namespace imagefs::fs
