// BackupCatalog: the durable record of this imaged's backups, their manifests,
// and the reference count of every block (per container) its complete backups use.
//
// The implementation keeps everything in its own RocksDB database (every write one
// synced WriteBatch) and the records and counts also in memory, so show, list and
// the dedup check never touch the disk. The counts move only together with a
// record: Complete() adds a backup's manifest and its references in the batch that
// makes it available; Uncount() removes them in the batch that starts its
// deletion. A count is per distinct digest per backup, so a backup whose image
// repeats a block holds one reference to it.
//
// Thread-safe. Writes are serialized; reads run concurrently with them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "service/backup/backup.h"

namespace imagefs::service::backup {

// Edits a backup inside an update; a non-OK return aborts it (nothing is written).
using BackupMutation = std::function<Status(Backup&)>;

class BackupCatalog {
 public:
  virtual ~BackupCatalog() = default;

  // This catalog's name in shared backup stores: a UUID made with the database.
  virtual const std::string& instance_id() const = 0;

  // AlreadyExists when the id is taken.
  virtual Status Create(const Backup& backup) = 0;

  // NotFound ("Backup <id> could not be found.") for an unknown id.
  virtual Result<Backup> Get(std::string_view id) = 0;

  // Reads the backup, applies `mutate`, writes the result; returns it as written.
  virtual Result<Backup> Update(std::string_view id, const BackupMutation& mutate) = 0;

  // Update that also stores `manifest` and adds one reference per distinct digest
  // to the backup's container, setting `counted`. FailedPrecondition when the
  // backup is already counted.
  virtual Result<Backup> Complete(std::string_view id, const BackupMutation& mutate,
                                  const Manifest& manifest) = 0;

  // Update that also drops the backup's references (when counted) and clears
  // `counted`. The manifest stays until Remove().
  virtual Result<Backup> Uncount(std::string_view id, const BackupMutation& mutate) = 0;

  // NotFound when the backup never completed.
  virtual Result<Manifest> GetManifest(std::string_view id) = 0;

  // Deletes the record and its manifest. FailedPrecondition while counted.
  virtual Status Remove(std::string_view id) = 0;

  // References to block `digest` (raw SHA-256) in `container`: 0 when none.
  virtual uint64_t RefCount(std::string_view container, std::string_view digest) = 0;

  // A copy of every record, in no particular order.
  virtual std::vector<Backup> List() = 0;
};

struct BackupCatalogOptions {
  // Directory of the RocksDB database; created if missing. Required.
  std::string path;
  // Sync every write. Default: true.
  bool sync = true;
};

// Opens (or creates) the catalog and loads its records and counts into memory.
Result<std::unique_ptr<BackupCatalog>> OpenBackupCatalog(const BackupCatalogOptions& options);

}  // namespace imagefs::service::backup
