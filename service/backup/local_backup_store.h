// The local-directory BackupStore (internal to service/backup; others use
// NewLocalBackupStore in backup_store.h). Layout under options.dir:
//
//   FORMAT                                  "imagefs-backup-store 1"
//   <container>/lock                        flock(2): shared by writers, exclusive
//                                           for Release and Sweep
//   <container>/blocks/<xx>/<64 hex>        one block, named by its SHA-256;
//                                           xx = its first two hex digits
//   <container>/staging/<uuid>.<64 hex>     a block written, not yet durable
//   <container>/refs/<holder>/<backup id>   a reference file (EncodeManifest)
//   <container>/spool/<uuid>/               where a writer creates its staged files
//                                           before moving them into staging/; empty
//                                           but for a crash between the two
//
// A writer writes blocks into staging/ without fsync, makes them all durable with
// one syncfs(2), renames them into blocks/, writes its reference file, and calls
// syncfs(2) again: two flushes per backup instead of one per block.
//
// Why spool/: ext4 without a journal skips, for a minute or more, every inode
// freed recently in the group where it allocates, and starts each search at the
// group's start; so after a delete of N blocks, each of the next N creates in
// that group costs O(N) (measured: 2,048 empty files in 1.7-2.0 s, against 0.07 s
// in a fresh group). spool/ carries the top-directory flag (chattr +T), so each
// writer's directory in it lands in a group of its own (ext4's Orlov allocator)
// and so do its files' inodes. Other filesystems ignore the flag. Imageds that
// predate spool/ ignore it; staging/ keeps its meaning for them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "service/backup/backup_store.h"
#include "service/store/file_io.h"

namespace imagefs::service::backup {

// The open directories of one container.
struct ContainerDirs {
  std::string name;
  UniqueFd top;
  UniqueFd blocks;
  UniqueFd staging;
  UniqueFd refs;
  UniqueFd spool;
};

// Opens container `name` under the store directory `store_fd`, creating it when
// `create`; NotFound when it does not exist and !create.
Result<ContainerDirs> OpenContainer(int store_fd, std::string_view name, bool create);

// Opens refs/<holder> of a container, creating it when `create`.
Result<UniqueFd> OpenHolderDir(const ContainerDirs& dirs, const std::string& holder, bool create);

// Holds the container's flock until destroyed. Move-only.
class ContainerLock {
 public:
  // Blocks until the lock is granted.
  static Result<ContainerLock> Acquire(const ContainerDirs& dirs, bool exclusive);

 private:
  explicit ContainerLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // its own open file description: flock(2) locks those
};

// "<xx>/<64 hex>" of a raw digest, relative to blocks/.
std::string BlockPath(std::string_view digest);

// syncfs(2) of the filesystem holding `fd`.
Status SyncFilesystem(int fd);

// Writes `data` to `dir`/`name` through a temporary name and renames it into
// place; `durable` syncs the filesystem afterwards.
Status WriteFileAtomically(int dir, const std::string& name, std::string_view data, bool durable);

class LocalBackupWriter;

class LocalBackupStore final : public BackupStore {
 public:
  static Result<std::unique_ptr<LocalBackupStore>> Open(const LocalBackupStoreOptions& options);

  // BackupStore
  Result<std::unique_ptr<BackupWriter>> BeginBackup(std::string_view container) override;
  Result<std::unique_ptr<RangeReader>> OpenBlock(std::string_view container,
                                                 std::string_view digest) override;
  Result<uint64_t> Release(std::string_view container, std::string_view backup_id,
                           const std::vector<std::string>& candidates,
                           const InUseFn& in_use) override;
  Result<SweepReport> Sweep(std::string_view container, const IsLiveFn& is_live) override;
  Result<std::vector<std::string>> Containers() override;

 private:
  LocalBackupStore(const LocalBackupStoreOptions& options, UniqueFd dir)
      : options_(options), dir_(std::move(dir)) {}

  const LocalBackupStoreOptions options_;
  const UniqueFd dir_;
};

}  // namespace imagefs::service::backup
