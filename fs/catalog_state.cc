#include "fs/catalog_state.h"

#include <algorithm>
#include <mutex>
#include <unordered_set>

#include "common/log.h"
#include "fs/name_map.h"

namespace imagefs::fs {

std::shared_ptr<DirSnapshot> MakeSnapshot(std::vector<DirEntry> entries, int64_t mtime) {
  auto snap = std::make_shared<DirSnapshot>();
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  snap->entries = std::move(entries);
  snap->index.reserve(snap->entries.size());
  for (uint32_t i = 0; i < snap->entries.size(); ++i) {
    snap->index.emplace(snap->entries[i].name, i);
  }
  snap->mtime_us = mtime;
  return snap;
}

// Names whose meaning changed between the snapshots: gone, now another inode, or new
// (the kernel may hold a negative entry for a new name; not on the first listing,
// when it holds nothing).
void DiffEntries(uint64_t dir, const DirSnapshot& before, const DirSnapshot& after,
                 std::vector<Change>* changes) {
  for (const DirEntry& e : before.entries) {
    auto it = after.index.find(e.name);
    if (it == after.index.end() || after.entries[it->second].ino != e.ino) {
      changes->push_back({Change::Kind::kEntry, dir, e.name, 0});
    }
  }
  if (before.entries.empty()) return;
  for (const DirEntry& e : after.entries) {
    if (before.index.count(e.name) == 0) changes->push_back({Change::Kind::kEntry, dir, e.name, 0});
  }
}

namespace {

bool SameAttrs(const wire::Image& a, const wire::Image& b) {
  return a.size == b.size && a.updated_at == b.updated_at && a.status == b.status;
}

}  // namespace

CatalogState::CatalogState() {
  images_dir_ = MakeSnapshot({}, 0);
  by_id_dir_ = MakeSnapshot({}, 0);
  root_dir_ = MakeSnapshot({{"backups", kBackupsDirIno},
                            {"by-id", kByIdDirIno},
                            {"images", kImagesDirIno},
                            {"members", kMembersDirIno}},
                           0);
}

bool CatalogState::Upsert(wire::Image image, bool listed, std::vector<Change>* changes) {
  uint64_t ino = inodes_.InodeFor(image.id);
  Node& n = nodes_[ino];
  bool names_may_change = n.gone || n.listed != listed || !n.image || n.image->name != image.name;
  if (n.image && *n.image == image && !names_may_change) return false;
  if (n.image && !SameAttrs(*n.image, image)) {
    changes->push_back({Change::Kind::kAttr, 0, "", ino});
  }
  if (n.image && n.image->ContentKey() != image.ContentKey()) {
    changes->push_back({Change::Kind::kData, 0, "", ino});
  }
  n.image = std::make_shared<const wire::Image>(std::move(image));
  n.listed = listed;
  n.gone = false;
  return names_may_change;
}

void CatalogState::Rebuild(std::vector<Change>* changes) {
  std::vector<NamedImage> named;
  std::vector<uint64_t> inos;
  int64_t mtime = 0;
  listed_bytes_ = 0;
  for (const auto& [ino, n] : nodes_) {
    if (!n.listed || n.gone) continue;
    named.push_back({n.image->id, n.image->name});
    inos.push_back(ino);
    mtime = std::max(mtime, n.image->updated_at);
    listed_bytes_ += static_cast<uint64_t>(n.image->size.value_or(0));
  }
  NameAssignment names = AssignNames(named);
  for (const auto& id : names.omitted) {
    IMAGEFS_LOG_WARN("image {}: its name collides beyond disambiguation; only by-id/ shows it", id);
  }
  std::vector<DirEntry> images, by_id;
  images.reserve(named.size());
  by_id.reserve(named.size());
  for (size_t i = 0; i < named.size(); ++i) {
    by_id.push_back({named[i].id, inos[i]});
    auto it = names.id_to_name.find(named[i].id);
    if (it != names.id_to_name.end()) images.push_back({it->second, inos[i]});
  }
  auto new_images = MakeSnapshot(std::move(images), mtime);
  auto new_by_id = MakeSnapshot(std::move(by_id), mtime);
  DiffEntries(kImagesDirIno, *images_dir_, *new_images, changes);
  DiffEntries(kByIdDirIno, *by_id_dir_, *new_by_id, changes);
  images_dir_ = std::move(new_images);
  by_id_dir_ = std::move(new_by_id);
}

std::vector<Change> CatalogState::ApplyFull(std::vector<wire::Image> images) {
  std::vector<Change> changes;
  std::unique_lock lock(mu_);
  std::unordered_set<std::string> present;
  for (auto& img : images) {
    present.insert(img.id);
    watermark_ = std::max(watermark_, img.updated_at);
    Upsert(std::move(img), /*listed=*/true, &changes);
  }
  for (auto& [ino, n] : nodes_) {
    if (n.listed && !n.gone && present.count(n.image->id) == 0) {
      n.gone = true;
      n.listed = false;
    }
  }
  Rebuild(&changes);
  return changes;
}

std::vector<Change> CatalogState::ApplyListed(std::vector<wire::Image> images) {
  std::vector<Change> changes;
  std::unique_lock lock(mu_);
  bool rebuild = false;
  for (auto& img : images) {
    watermark_ = std::max(watermark_, img.updated_at);
    rebuild |= Upsert(std::move(img), /*listed=*/true, &changes);
  }
  if (rebuild) Rebuild(&changes);
  return changes;
}

std::vector<Change> CatalogState::ApplyShown(wire::Image image) {
  std::vector<Change> changes;
  std::unique_lock lock(mu_);
  auto ino = inodes_.Find(image.id);
  bool was_listed = ino && nodes_.count(*ino) > 0 && nodes_[*ino].listed && !nodes_[*ino].gone;
  bool listed = was_listed && !image.os_hidden;
  // Only listed images have names; an image known by id alone needs no rebuild.
  if (Upsert(std::move(image), listed, &changes) && was_listed) Rebuild(&changes);
  return changes;
}

std::vector<Change> CatalogState::MarkGone(const std::string& id) {
  std::vector<Change> changes;
  std::unique_lock lock(mu_);
  auto ino = inodes_.Find(id);
  if (!ino || nodes_.count(*ino) == 0 || nodes_[*ino].gone) return changes;
  Node& n = nodes_[*ino];
  n.gone = true;
  bool was_listed = n.listed;
  n.listed = false;
  if (was_listed) {
    Rebuild(&changes);
  } else {
    changes.push_back({Change::Kind::kEntry, kByIdDirIno, id, 0});
  }
  return changes;
}

std::shared_ptr<const DirSnapshot> CatalogState::Dir(uint64_t dir_ino) const {
  std::shared_lock lock(mu_);
  switch (dir_ino) {
    case kRootIno:
      return root_dir_;
    case kImagesDirIno:
      return images_dir_;
    case kByIdDirIno:
      return by_id_dir_;
    default:
      return nullptr;
  }
}

ImageNode CatalogState::NodeFor(uint64_t ino, const Node& n) const {
  return ImageNode{ino, n.image, n.listed, n.gone};
}

std::optional<ImageNode> CatalogState::FindByName(uint64_t dir_ino, std::string_view name) const {
  std::shared_lock lock(mu_);
  const DirSnapshot* dir = dir_ino == kImagesDirIno ? images_dir_.get()
                           : dir_ino == kByIdDirIno ? by_id_dir_.get()
                                                    : nullptr;
  if (dir == nullptr) return std::nullopt;
  auto it = dir->index.find(name);
  uint64_t ino = 0;
  if (it != dir->index.end()) {
    ino = dir->entries[it->second].ino;
  } else if (dir_ino == kByIdDirIno) {
    // Images known only by id are reachable here though not listed.
    auto found = inodes_.Find(std::string(name));
    if (!found) return std::nullopt;
    ino = *found;
  } else {
    return std::nullopt;
  }
  auto n = nodes_.find(ino);
  if (n == nodes_.end() || n->second.gone) return std::nullopt;
  return NodeFor(ino, n->second);
}

std::optional<ImageNode> CatalogState::FindByIno(uint64_t ino) const {
  std::shared_lock lock(mu_);
  auto n = nodes_.find(ino);
  if (n == nodes_.end()) return std::nullopt;
  return NodeFor(ino, n->second);
}

std::optional<ImageNode> CatalogState::FindById(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto ino = inodes_.Find(id);
  if (!ino) return std::nullopt;
  auto n = nodes_.find(*ino);
  if (n == nodes_.end()) return std::nullopt;
  return NodeFor(*ino, n->second);
}

int64_t CatalogState::watermark() const {
  std::shared_lock lock(mu_);
  return watermark_;
}

std::vector<wire::Image> CatalogState::ListedImages() const {
  std::shared_lock lock(mu_);
  std::vector<wire::Image> out;
  for (const auto& [ino, n] : nodes_) {
    if (n.listed && !n.gone) out.push_back(*n.image);
  }
  return out;
}

size_t CatalogState::listed_count() const {
  std::shared_lock lock(mu_);
  return by_id_dir_->entries.size();
}

uint64_t CatalogState::listed_bytes() const {
  std::shared_lock lock(mu_);
  return listed_bytes_;
}

}  // namespace imagefs::fs
