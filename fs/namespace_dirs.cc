#include "fs/namespace_dirs.h"

#include <algorithm>

#include "common/log.h"
#include "fs/name_map.h"

namespace imagefs::fs {
namespace {

using std::chrono::milliseconds;

std::string MemberKey(const std::string& image_id, const std::string& member) {
  return "m/" + image_id + "/" + member;
}

bool IsMemberStatus(std::string_view s) {
  return s == "pending" || s == "accepted" || s == "rejected";
}

}  // namespace

NamespaceDirs::NamespaceDirs(const NamespaceOptions& options, CatalogClient& client,
                             Clock& clock, Publish publish)
    : options_(options), client_(client), clock_(clock), publish_(std::move(publish)) {
  members_dir_ = MakeSnapshot({}, 0);
  backups_dir_ = MakeSnapshot({}, 0);
}

CallOptions NamespaceDirs::Call() const {
  return CallOptions{clock_.Now() + options_.retry_deadline, true};
}

bool NamespaceDirs::Stale(std::chrono::steady_clock::time_point fetched, bool loaded) const {
  return !loaded || clock_.Now() - fetched >= options_.list_ttl;
}

// --- members/ ---------------------------------------------------------------

Status NamespaceDirs::RefreshImages(bool force) {
  {
    std::lock_guard lock(mu_);
    if (!force && !Stale(members_fetched_, members_loaded_)) return Status::Ok();
  }
  auto listed = client_.ListSharedImages(Call());
  // A client without the call (a test fake): members/ stays empty.
  if (!listed.ok() && listed.status().code() != StatusCode::kUnimplemented) {
    return listed.status();
  }
  ImageListing listing = listed.ok() ? std::move(*listed) : ImageListing{};
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    std::vector<DirEntry> entries;
    int64_t mtime = 0;
    std::map<std::string, ImageEntry> kept;
    for (const wire::Image& img : listing.images) {
      auto it = images_.find(img.id);
      ImageEntry entry = it != images_.end() ? std::move(it->second) : ImageEntry{};
      if (entry.ino == 0) {
        entry.ino = inodes_.InodeFor("i/" + img.id);
        image_of_ino_[entry.ino] = img.id;
        entry.dir = MakeSnapshot({}, 0);
      }
      entries.push_back({img.id, entry.ino});
      mtime = std::max(mtime, img.updated_at);
      kept.emplace(img.id, std::move(entry));
    }
    images_ = std::move(kept);
    auto snap = MakeSnapshot(std::move(entries), mtime);
    DiffEntries(kMembersDirIno, *members_dir_, *snap, &changes);
    members_dir_ = std::move(snap);
    members_fetched_ = clock_.Now();
    members_loaded_ = true;
  }
  publish_(std::move(changes));
  return Status::Ok();
}

void NamespaceDirs::SetMembersLocked(ImageEntry& entry, const std::string& image_id,
                                     std::vector<wire::Member> members,
                                     std::vector<Change>* changes) {
  std::vector<DirEntry> entries;
  int64_t mtime = 0;
  entry.members.clear();
  for (wire::Member& m : members) {
    uint64_t ino = inodes_.InodeFor(MemberKey(image_id, m.member_id));
    member_of_ino_[ino] = {image_id, m.member_id};
    entries.push_back({m.member_id, ino});
    mtime = std::max(mtime, m.updated_at);
    entry.members.emplace(m.member_id, std::move(m));
  }
  auto snap = MakeSnapshot(std::move(entries), mtime);
  DiffEntries(entry.ino, *entry.dir, *snap, changes);
  entry.dir = std::move(snap);
  entry.fetched = clock_.Now();
  entry.loaded = true;
}

Status NamespaceDirs::RefreshMembers(const std::string& image_id, bool force) {
  {
    std::lock_guard lock(mu_);
    auto it = images_.find(image_id);
    if (it == images_.end()) return NotFound("no shared image " + image_id);
    if (!force && !Stale(it->second.fetched, it->second.loaded)) return Status::Ok();
  }
  auto members = client_.ListMembers(image_id, Call());
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    auto it = images_.find(image_id);
    if (it == images_.end()) return NotFound("no shared image " + image_id);
    if (!members.ok()) {
      // The image left the caller's view (deleted, made private): an empty directory
      // until the next listing drops it.
      if (members.status().code() != StatusCode::kNotFound &&
          members.status().code() != StatusCode::kPermissionDenied) {
        return members.status();
      }
      SetMembersLocked(it->second, image_id, {}, &changes);
    } else {
      SetMembersLocked(it->second, image_id, std::move(*members), &changes);
    }
  }
  publish_(std::move(changes));
  return Status::Ok();
}

std::optional<std::string> NamespaceDirs::ImageOfDir(uint64_t ino) const {
  auto it = image_of_ino_.find(ino);
  if (it == image_of_ino_.end() || images_.count(it->second) == 0) return std::nullopt;
  return it->second;
}

NsNode NamespaceDirs::MemberNode(uint64_t ino, const wire::Member& m) const {
  NsNode n;
  n.kind = NsNode::Kind::kMember;
  n.ino = ino;
  n.image_id = m.image_id;
  n.member = m;
  n.mtime_us = m.updated_at;
  return n;
}

Result<wire::Member> NamespaceDirs::SetMemberStatus(uint64_t ino, std::string_view status) {
  if (!IsMemberStatus(status)) {
    return InvalidArgument("member status must be pending, accepted or rejected");
  }
  std::pair<std::string, std::string> key;
  {
    std::lock_guard lock(mu_);
    auto it = member_of_ino_.find(ino);
    if (it == member_of_ino_.end()) return NotFound("no such member");
    key = it->second;
  }
  IMAGEFS_ASSIGN_OR_RETURN(
      wire::Member updated,
      client_.UpdateMember(key.first, key.second, std::string(status), Call()));
  std::lock_guard lock(mu_);
  auto it = images_.find(key.first);
  if (it != images_.end()) it->second.members[key.second] = updated;
  std::vector<Change> changes{{Change::Kind::kAttr, 0, "", ino}};
  publish_(std::move(changes));
  return updated;
}

Result<NsNode> NamespaceDirs::AddMember(uint64_t parent, std::string_view project) {
  std::optional<std::string> image_id;
  {
    std::lock_guard lock(mu_);
    image_id = ImageOfDir(parent);
  }
  if (!image_id) return NotFound("not an image's members directory");
  if (project.empty() || project.size() > 255) return InvalidArgument("bad project id");
  IMAGEFS_ASSIGN_OR_RETURN(wire::Member added,
                           client_.AddMember(*image_id, std::string(project), Call()));
  IMAGEFS_RETURN_IF_ERROR(RefreshMembers(*image_id, /*force=*/true));
  std::lock_guard lock(mu_);
  uint64_t ino = inodes_.InodeFor(MemberKey(*image_id, added.member_id));
  member_of_ino_[ino] = {*image_id, added.member_id};
  return MemberNode(ino, added);
}

Status NamespaceDirs::RemoveMember(uint64_t parent, std::string_view project) {
  std::optional<std::string> image_id;
  {
    std::lock_guard lock(mu_);
    image_id = ImageOfDir(parent);
  }
  if (!image_id) return NotFound("not an image's members directory");
  IMAGEFS_RETURN_IF_ERROR(client_.RemoveMember(*image_id, std::string(project), Call()));
  return RefreshMembers(*image_id, /*force=*/true);
}

// --- backups/ ---------------------------------------------------------------

void NamespaceDirs::SetBackupsLocked(std::vector<BackupInfo> backups,
                                     std::vector<Change>* changes) {
  // A backup being deleted is on its way out: not shown (rm took its name at once).
  std::erase_if(backups, [](const BackupInfo& b) { return b.status == "deleting"; });
  std::vector<NamedImage> named;
  named.reserve(backups.size());
  for (const BackupInfo& b : backups) named.push_back({b.id, b.name});
  NameAssignment names = AssignNames(named);
  std::vector<DirEntry> entries;
  int64_t mtime = 0;
  backups_.clear();
  for (BackupInfo& b : backups) {
    uint64_t ino = inodes_.InodeFor("b/" + b.id);
    auto it = names.id_to_name.find(b.id);
    if (it != names.id_to_name.end()) entries.push_back({it->second, ino});
    mtime = std::max(mtime, b.updated_us);
    backups_.emplace(ino, std::move(b));
  }
  auto snap = MakeSnapshot(std::move(entries), mtime);
  DiffEntries(kBackupsDirIno, *backups_dir_, *snap, changes);
  backups_dir_ = std::move(snap);
  backups_fetched_ = clock_.Now();
  backups_loaded_ = true;
}

Status NamespaceDirs::RefreshBackups(bool force) {
  if (options_.project.empty()) return Status::Ok();
  {
    std::lock_guard lock(mu_);
    if (!force && !Stale(backups_fetched_, backups_loaded_)) return Status::Ok();
  }
  auto listed = client_.ListBackups(options_.project, Call());
  if (!listed.ok() && listed.status().code() != StatusCode::kUnimplemented) {
    return listed.status();
  }
  std::vector<BackupInfo> backups = listed.ok() ? std::move(*listed) : std::vector<BackupInfo>();
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    SetBackupsLocked(std::move(backups), &changes);
  }
  publish_(std::move(changes));
  return Status::Ok();
}

NsNode NamespaceDirs::BackupNode(uint64_t ino, const BackupInfo& b) const {
  NsNode n;
  n.kind = NsNode::Kind::kBackup;
  n.ino = ino;
  n.image_id = b.image_id;
  n.backup = b;
  n.mtime_us = b.updated_us;
  return n;
}

std::optional<BackupInfo> NamespaceDirs::BackupNamed(std::string_view name) const {
  auto it = backups_dir_->index.find(name);
  if (it == backups_dir_->index.end()) return std::nullopt;
  auto b = backups_.find(backups_dir_->entries[it->second].ino);
  if (b == backups_.end()) return std::nullopt;
  return b->second;
}

Result<NsNode> NamespaceDirs::TakeBackup(const std::string& image_id, std::string_view name) {
  if (options_.project.empty()) return Unimplemented("backups/ needs the project= mount option");
  IMAGEFS_RETURN_IF_ERROR(RefreshBackups(/*force=*/true));
  {
    std::lock_guard lock(mu_);
    if (BackupNamed(name)) return AlreadyExists("a backup is named " + std::string(name));
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::string id, client_.CreateBackup(options_.project, image_id,
                                                                std::string(name), Call()));
  auto until = clock_.Now() + options_.backup_wait;
  milliseconds delay(50);
  while (true) {
    auto b = client_.GetBackup(options_.project, id, Call());
    if (b.ok() && b->status != "creating") break;
    if (!b.ok() && b.status().code() != StatusCode::kUnavailable) return b.status();
    if (clock_.Now() >= until) break;  // shown as creating; readable once available
    clock_.SleepFor(delay);
    delay = std::min(delay * 2, milliseconds(1000));
  }
  IMAGEFS_RETURN_IF_ERROR(RefreshBackups(/*force=*/true));
  std::lock_guard lock(mu_);
  uint64_t ino = inodes_.InodeFor("b/" + id);
  auto it = backups_.find(ino);
  if (it == backups_.end()) return NotFound("backup " + id + " vanished");
  return BackupNode(ino, it->second);
}

Result<std::string> NamespaceDirs::Restore(uint64_t backup_ino, std::string_view name) {
  std::string id;
  {
    std::lock_guard lock(mu_);
    auto it = backups_.find(backup_ino);
    if (it == backups_.end()) return NotFound("no such backup");
    id = it->second.id;
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::string image_id, client_.RestoreBackup(options_.project, id,
                                                                       std::string(name), Call()));
  // The backup shows `restoring` until the image is active.
  std::lock_guard lock(mu_);
  backups_loaded_ = false;
  return image_id;
}

Status NamespaceDirs::DeleteBackup(std::string_view name) {
  IMAGEFS_RETURN_IF_ERROR(RefreshBackups(/*force=*/false));
  std::optional<BackupInfo> b;
  {
    std::lock_guard lock(mu_);
    b = BackupNamed(name);
  }
  if (!b) return NotFound("no such backup");
  // Fresh state: dependents come and go with other backups.
  IMAGEFS_ASSIGN_OR_RETURN(BackupInfo now, client_.GetBackup(options_.project, b->id, Call()));
  if (now.has_dependents) return FailedPrecondition("incremental backups depend on it");
  if (now.status != "available" && now.status != "error") {
    return FailedPrecondition("backup is " + now.status);
  }
  Status s = client_.DeleteBackup(options_.project, b->id, Call());
  if (s.code() == StatusCode::kInvalidArgument) return FailedPrecondition(s.message());
  IMAGEFS_RETURN_IF_ERROR(s);
  // Deletion runs in the background (`deleting`); the name goes at once.
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    std::vector<BackupInfo> rest;
    for (auto& [ino, info] : backups_) {
      if (info.id != b->id) rest.push_back(info);
    }
    SetBackupsLocked(std::move(rest), &changes);
  }
  publish_(std::move(changes));
  return Status::Ok();
}

// --- lookups ----------------------------------------------------------------

Result<NsNode> NamespaceDirs::Lookup(uint64_t parent, std::string_view name) {
  if (parent == kMembersDirIno) {
    IMAGEFS_RETURN_IF_ERROR(RefreshImages(false));
    std::lock_guard lock(mu_);
    auto it = images_.find(std::string(name));
    if (it == images_.end()) return NotFound("no shared image " + std::string(name));
    NsNode n;
    n.kind = NsNode::Kind::kImageMembers;
    n.ino = it->second.ino;
    n.image_id = it->first;
    n.mtime_us = it->second.dir->mtime_us;
    return n;
  }
  if (parent == kBackupsDirIno) {
    IMAGEFS_RETURN_IF_ERROR(RefreshBackups(false));
    std::lock_guard lock(mu_);
    auto b = BackupNamed(name);
    if (!b) return NotFound("no such backup");
    return BackupNode(inodes_.InodeFor("b/" + b->id), *b);
  }
  std::optional<std::string> image_id;
  {
    std::lock_guard lock(mu_);
    image_id = ImageOfDir(parent);
  }
  if (!image_id) return NotFound("not a directory");
  IMAGEFS_RETURN_IF_ERROR(RefreshMembers(*image_id, false));
  std::lock_guard lock(mu_);
  auto it = images_.find(*image_id);
  if (it == images_.end()) return NotFound("no shared image");
  auto m = it->second.members.find(std::string(name));
  if (m == it->second.members.end()) return NotFound("no such member");
  return MemberNode(inodes_.InodeFor(MemberKey(*image_id, m->first)), m->second);
}

Result<NsNode> NamespaceDirs::Get(uint64_t ino) {
  NsNode n;
  n.ino = ino;
  if (ino == kMembersDirIno || ino == kBackupsDirIno) {
    std::lock_guard lock(mu_);
    n.kind = ino == kMembersDirIno ? NsNode::Kind::kMembersDir : NsNode::Kind::kBackupsDir;
    n.mtime_us = (ino == kMembersDirIno ? members_dir_ : backups_dir_)->mtime_us;
    return n;
  }
  std::lock_guard lock(mu_);
  if (auto image_id = ImageOfDir(ino)) {
    n.kind = NsNode::Kind::kImageMembers;
    n.image_id = *image_id;
    n.mtime_us = images_.at(*image_id).dir->mtime_us;
    return n;
  }
  if (auto it = member_of_ino_.find(ino); it != member_of_ino_.end()) {
    auto img = images_.find(it->second.first);
    if (img != images_.end()) {
      auto m = img->second.members.find(it->second.second);
      if (m != img->second.members.end()) return MemberNode(ino, m->second);
    }
    return NotFound("membership gone");
  }
  if (auto it = backups_.find(ino); it != backups_.end()) return BackupNode(ino, it->second);
  return NotFound("unknown inode");
}

Result<std::shared_ptr<const DirSnapshot>> NamespaceDirs::List(uint64_t dir_ino) {
  if (dir_ino == kMembersDirIno) {
    IMAGEFS_RETURN_IF_ERROR(RefreshImages(false));
    std::lock_guard lock(mu_);
    return std::shared_ptr<const DirSnapshot>(members_dir_);
  }
  if (dir_ino == kBackupsDirIno) {
    IMAGEFS_RETURN_IF_ERROR(RefreshBackups(false));
    std::lock_guard lock(mu_);
    return std::shared_ptr<const DirSnapshot>(backups_dir_);
  }
  std::optional<std::string> image_id;
  {
    std::lock_guard lock(mu_);
    image_id = ImageOfDir(dir_ino);
  }
  if (!image_id) return NotFound("not a directory");
  IMAGEFS_RETURN_IF_ERROR(RefreshMembers(*image_id, false));
  std::lock_guard lock(mu_);
  auto it = images_.find(*image_id);
  if (it == images_.end()) return NotFound("no shared image");
  return std::shared_ptr<const DirSnapshot>(it->second.dir);
}

}  // namespace imagefs::fs
