// StateStore: what the mount keeps on disk besides the blocks, so that a remount
// while the service is down can still list and read what was cached
// (docs/semantics.md §7):
//   <dir>/listing-<key>.json        the last full listing seen with this URL and token
//   <dir>/blockmaps/<content_key>   the per-block digests of an image version
// (immutable: a content key names exactly one sequence of bytes).
// Files are written to a temporary name and renamed, so a crash leaves the old copy
// or the new one. Thread-safe (no shared state beyond the filesystem).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::fs {

class StateStore {
 public:
  // `dir` is created (0700) if missing. `identity` (URL + token) picks the listing
  // file; only a hash of it is stored.
  StateStore(std::string dir, const std::string& identity);

  Status SaveListing(const std::vector<wire::Image>& images) const;
  // NotFound when there is none; InvalidArgument when it does not parse.
  Result<std::vector<wire::Image>> LoadListing() const;

  Status SaveBlockMap(const wire::BlockMap& map) const;
  // nullopt when none is stored (or it is damaged).
  std::optional<wire::BlockMap> LoadBlockMap(const std::string& content_key) const;

  const std::string& dir() const { return dir_; }

 private:
  Status WriteAtomically(const std::string& path, const std::string& content) const;

  std::string dir_;
  std::string listing_path_;
};

}  // namespace imagefs::fs
