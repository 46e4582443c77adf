// NamespaceDirs: the members/ and backups/ directories (docs/semantics.md §11, §12).
//
//   members/<image-id>/<project-id>   one directory per image of visibility `shared`
//                                     the project owns or is a member of (any status),
//                                     one empty file per membership the project may see
//   backups/<name>                    one file per backup of the project, named as
//                                     images/ names images (name_map.h)
//
// Listings come from the service and are kept for list_ttl; the mount's own changes
// update them at once. Entries have their own inode numbers (kFirstNamespaceIno and
// up), stable for the life of the mount. FUSE-free; ImageFs calls it. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "fs/catalog_client.h"
#include "fs/catalog_state.h"
#include "fs/inode_table.h"

namespace imagefs::fs {

struct NamespaceOptions {
  // The mount's project (the URL of the backups API); empty: backups/ stays empty.
  std::string project;
  std::chrono::milliseconds list_ttl{1000};
  std::chrono::milliseconds retry_deadline{30000};
  // How long `ln images/X backups/N` waits for the backup to leave `creating`.
  std::chrono::milliseconds backup_wait{60000};
};

struct NsNode {
  enum class Kind { kMembersDir, kBackupsDir, kImageMembers, kMember, kBackup };
  Kind kind = Kind::kMembersDir;
  uint64_t ino = 0;
  std::string image_id;                // kImageMembers, kMember
  std::optional<wire::Member> member;  // kMember
  std::optional<BackupInfo> backup;    // kBackup
  int64_t mtime_us = 0;
  bool is_dir() const { return kind != Kind::kMember && kind != Kind::kBackup; }
};

class NamespaceDirs {
 public:
  using Publish = std::function<void(std::vector<Change>)>;
  // `client` and `clock` must outlive this. `publish` passes kernel invalidations on.
  NamespaceDirs(const NamespaceOptions& options, CatalogClient& client, Clock& clock,
                Publish publish);

  // NotFound for names the directory does not hold (after a refresh when stale).
  Result<NsNode> Lookup(uint64_t parent, std::string_view name);
  // NotFound for an inode whose entry has gone.
  Result<NsNode> Get(uint64_t ino);
  // The entries of a directory inode, refreshed when stale.
  Result<std::shared_ptr<const DirSnapshot>> List(uint64_t dir_ino);

  // members/<image>/<project>: add (owner), remove (owner), set the status (member).
  Result<NsNode> AddMember(uint64_t parent, std::string_view project);
  Status RemoveMember(uint64_t parent, std::string_view project);
  // InvalidArgument unless `status` is pending, accepted or rejected.
  Result<wire::Member> SetMemberStatus(uint64_t ino, std::string_view status);

  // backups/: takes a backup of `image_id` named `name` and waits up to backup_wait
  // for it to leave `creating`. AlreadyExists when the name is taken.
  Result<NsNode> TakeBackup(const std::string& image_id, std::string_view name);
  // Starts restoring the backup to a new image named `name`; returns the image id.
  Result<std::string> Restore(uint64_t backup_ino, std::string_view name);
  // FailedPrecondition while other backups depend on it or it is busy.
  Status DeleteBackup(std::string_view name);

  const NamespaceOptions& options() const { return options_; }

 private:
  struct ImageEntry {
    uint64_t ino = 0;
    std::shared_ptr<const DirSnapshot> dir;
    std::map<std::string, wire::Member> members;  // by member id
    std::chrono::steady_clock::time_point fetched;
    bool loaded = false;
  };

  CallOptions Call() const;
  bool Stale(std::chrono::steady_clock::time_point fetched, bool loaded) const;
  Status RefreshImages(bool force);
  Status RefreshMembers(const std::string& image_id, bool force);
  Status RefreshBackups(bool force);
  void SetMembersLocked(ImageEntry& entry, const std::string& image_id,
                        std::vector<wire::Member> members, std::vector<Change>* changes)
      REQUIRES(mu_);
  void SetBackupsLocked(std::vector<BackupInfo> backups, std::vector<Change>* changes)
      REQUIRES(mu_);
  std::optional<std::string> ImageOfDir(uint64_t ino) const;
  std::optional<BackupInfo> BackupNamed(std::string_view name) const;
  NsNode MemberNode(uint64_t ino, const wire::Member& m) const;
  NsNode BackupNode(uint64_t ino, const BackupInfo& b) const;

  const NamespaceOptions options_;
  CatalogClient& client_;
  Clock& clock_;
  const Publish publish_;

  mutable std::mutex mu_;
  InodeTable inodes_ GUARDED_BY(mu_){kFirstNamespaceIno};
  std::map<std::string, ImageEntry> images_ GUARDED_BY(mu_);  // by image id
  std::unordered_map<uint64_t, std::string> image_of_ino_ GUARDED_BY(mu_);
  // A member file's inode -> (image id, member id).
  std::unordered_map<uint64_t, std::pair<std::string, std::string>> member_of_ino_
      GUARDED_BY(mu_);
  std::shared_ptr<const DirSnapshot> members_dir_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point members_fetched_ GUARDED_BY(mu_);
  bool members_loaded_ GUARDED_BY(mu_) = false;
  std::unordered_map<uint64_t, BackupInfo> backups_ GUARDED_BY(mu_);  // by inode
  std::shared_ptr<const DirSnapshot> backups_dir_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point backups_fetched_ GUARDED_BY(mu_);
  bool backups_loaded_ GUARDED_BY(mu_) = false;
};

}  // namespace imagefs::fs
