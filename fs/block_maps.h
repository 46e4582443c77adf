// BlockMaps: the per-block digests (cache::ImageLayout) of image versions, from memory,
// from the StateStore on disk, or from the service (GET /v2/images/{id}/blocks), in
// that order; fetched maps are persisted so cached blocks stay readable offline.
// A service without /blocks (plain Glance) or an image without digests yields
// nullptr: the reader then reads through without the disk cache
// (docs/semantics.md §8, "degraded mode"). Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "cache/block_cache.h"
#include "common/clock.h"
#include "common/thread_annotations.h"
#include "fs/catalog_client.h"
#include "fs/state_store.h"

namespace imagefs::fs {

class BlockMaps {
 public:
  // `use_crc`: layouts carry the maps' CRC-32Cs (fetched blocks are checked by
  // them); false: by SHA-256 only.
  BlockMaps(CatalogClient& client, StateStore* store, Clock& clock,
            std::chrono::milliseconds retry_deadline, bool use_crc = true);

  // The layout of `image`'s current data; nullptr when no digests are available.
  // Errors: Unavailable / DeadlineExceeded when the service cannot be asked and
  // nothing is stored.
  Result<std::shared_ptr<const cache::ImageLayout>> LayoutFor(const wire::Image& image);

  // The layout of a backup's bytes, read under `source_id` (a BackupSourceId) and
  // `size` bytes long; nullptr when the service has no block map for it. Kept in
  // memory only (not in the StateStore). Errors as LayoutFor's.
  Result<std::shared_ptr<const cache::ImageLayout>> LayoutForBackup(const std::string& source_id,
                                                                    uint64_t size);

 private:
  // The layout remembered under `key`; a null layout while "no map" is believed;
  // nullopt when the service must be asked.
  std::optional<std::shared_ptr<const cache::ImageLayout>> Known(const std::string& key);
  // Believes for a while that `key` has no usable map; returns the null layout.
  std::shared_ptr<const cache::ImageLayout> NoMap(const std::string& key);
  std::shared_ptr<const cache::ImageLayout> Remember(const std::string& key, std::string image_id,
                                                     std::string content_key, wire::BlockMap map);

  CatalogClient& client_;
  StateStore* store_;
  Clock& clock_;
  const std::chrono::milliseconds retry_deadline_;
  const bool use_crc_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const cache::ImageLayout>> layouts_ GUARDED_BY(mu_);
  std::map<std::string, std::chrono::steady_clock::time_point> without_ GUARDED_BY(mu_);
};

}  // namespace imagefs::fs
