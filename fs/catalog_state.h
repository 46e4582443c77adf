// CatalogState: what the mount knows about the catalog, in memory. Every metadata
// answer (lookup, getattr, readdir, xattrs) comes from here; CatalogSync keeps it
// fresh. FUSE-free and network-free, so it is unit-tested directly.
//
// Each image has an inode (InodeTable). A *listed* image (in the service's default
// list) appears as images/<name> and by-id/<id>, the same inode (nlink 2). An image
// found only by id (by-id lookup of a hidden or community image) is reachable as
// by-id/<id> but not listed. An image that left the listing is *gone*: lookups miss,
// but its inode still answers getattr for handles the kernel holds.
//
// Every mutation returns the Changes the kernel must hear about (stale dentries,
// changed attributes) so the caller can notify it. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/thread_annotations.h"
#include "common/wire/image.h"
#include "fs/inode_table.h"

namespace imagefs::fs {

struct ImageNode {
  uint64_t ino = 0;
  std::shared_ptr<const wire::Image> image;
  bool listed = false;
  bool gone = false;
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
};

// An immutable, sorted listing of one directory; readdir pages through one snapshot.
struct DirSnapshot {
  std::vector<DirEntry> entries;                         // sorted by name
  std::unordered_map<std::string_view, uint32_t> index;  // name -> position
  int64_t mtime_us = 0;                                  // newest updated_at among the entries
};

struct Change {
  enum class Kind { kEntry, kAttr, kData };
  Kind kind = Kind::kAttr;
  uint64_t parent = 0;  // kEntry: the directory
  std::string name;     // kEntry: the name that no longer means what it did
  uint64_t ino = 0;     // kAttr / kData
};

// A snapshot of `entries` (sorted here) with the given mtime.
std::shared_ptr<DirSnapshot> MakeSnapshot(std::vector<DirEntry> entries, int64_t mtime);
// Appends kEntry changes for the names of `dir` whose meaning changed between the
// snapshots: gone, now another inode, or new (not on a first listing).
void DiffEntries(uint64_t dir, const DirSnapshot& before, const DirSnapshot& after,
                 std::vector<Change>* changes);

class CatalogState {
 public:
  CatalogState();

  // The complete default list: images missing from it are now gone (unless they were
  // only ever known by id).
  std::vector<Change> ApplyFull(std::vector<wire::Image> images);
  // Images that changed, from an incremental listing (they are listed).
  std::vector<Change> ApplyListed(std::vector<wire::Image> images);
  // One image as the service showed it by id (GET or PATCH): updates it, keeps its
  // listed/unlisted standing (a hidden image leaves the listing).
  std::vector<Change> ApplyShown(wire::Image image);
  std::vector<Change> MarkGone(const std::string& id);

  // nullptr for a non-directory inode.
  std::shared_ptr<const DirSnapshot> Dir(uint64_t dir_ino) const;
  // Live (not gone) image named `name` in images/ or by-id/.
  std::optional<ImageNode> FindByName(uint64_t dir_ino, std::string_view name) const;
  // Any image inode ever handed out, gone or not.
  std::optional<ImageNode> FindByIno(uint64_t ino) const;
  std::optional<ImageNode> FindById(const std::string& id) const;

  // The newest updated_at seen in a listing (the incremental-sync watermark); 0 if none.
  int64_t watermark() const;
  // Listed images, for persisting the listing.
  std::vector<wire::Image> ListedImages() const;
  size_t listed_count() const;
  uint64_t listed_bytes() const;

 private:
  struct Node {
    std::shared_ptr<const wire::Image> image;
    bool listed = false;
    bool gone = false;
  };

  // Updates one image; records attr/data changes. Returns true if names may change.
  bool Upsert(wire::Image image, bool listed, std::vector<Change>* changes) REQUIRES(mu_);
  void Rebuild(std::vector<Change>* changes) REQUIRES(mu_);
  ImageNode NodeFor(uint64_t ino, const Node& n) const;

  mutable std::shared_mutex mu_;
  InodeTable inodes_ GUARDED_BY(mu_);
  std::unordered_map<uint64_t, Node> nodes_ GUARDED_BY(mu_);
  std::shared_ptr<const DirSnapshot> images_dir_ GUARDED_BY(mu_);
  std::shared_ptr<const DirSnapshot> by_id_dir_ GUARDED_BY(mu_);
  std::shared_ptr<const DirSnapshot> root_dir_ GUARDED_BY(mu_);
  int64_t watermark_ GUARDED_BY(mu_) = 0;
  uint64_t listed_bytes_ GUARDED_BY(mu_) = 0;
};

}  // namespace imagefs::fs
