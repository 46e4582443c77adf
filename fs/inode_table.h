// InodeTable: image id <-> inode number, stable for the life of the mount. Numbers are
// handed out in order of first sight and never reused (image ids are never reused
// either), so an open file or a cached dentry can never come to mean another image.
// Not thread-safe: CatalogState guards it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace imagefs::fs {

inline constexpr uint64_t kRootIno = 1;       // FUSE_ROOT_ID
inline constexpr uint64_t kImagesDirIno = 2;  // images/
inline constexpr uint64_t kByIdDirIno = 3;    // by-id/
inline constexpr uint64_t kMembersDirIno = 4;  // members/
inline constexpr uint64_t kBackupsDirIno = 5;  // backups/
inline constexpr uint64_t kFirstImageIno = 16;
// members/ and backups/ entries number from here (NamespaceDirs' own table), far
// above anything the image table can reach.
inline constexpr uint64_t kFirstNamespaceIno = uint64_t{1} << 40;

// The fixed directories of images (root, images/, by-id/).
inline bool IsDirIno(uint64_t ino) {
  return ino == kRootIno || ino == kImagesDirIno || ino == kByIdDirIno;
}

// Inodes that NamespaceDirs answers for: members/, backups/ and everything below.
inline bool IsNamespaceIno(uint64_t ino) {
  return ino == kMembersDirIno || ino == kBackupsDirIno || ino >= kFirstNamespaceIno;
}

class InodeTable {
 public:
  explicit InodeTable(uint64_t first = kFirstImageIno) : next_(first) {}
  // The inode of `id`, assigning the next free number the first time.
  uint64_t InodeFor(const std::string& id);
  // nullopt for numbers never handed out.
  std::optional<std::string> IdOf(uint64_t ino) const;
  // nullopt for ids never seen.
  std::optional<uint64_t> Find(const std::string& id) const;
  size_t size() const { return by_id_.size(); }

 private:
  uint64_t next_;
  std::unordered_map<std::string, uint64_t> by_id_;
  std::unordered_map<uint64_t, std::string> by_ino_;
};

}  // namespace imagefs::fs
