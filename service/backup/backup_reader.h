// BackupReader: a backup's bytes, read back from the blocks of its container in
// manifest order, so a client can download a backup without restoring it (the
// imaged extension GET /v3/{project_id}/backups/{backup_id}/data).
//
// Blocks are opened lazily, one at a time per reader position; an opened block
// stays readable even if its file is unlinked afterwards. A block that is gone
// before it is opened (the backup was deleted meanwhile) fails the read with
// NotFound; a block whose size differs from the manifest's fails it with DataLoss.
// Blocks are not re-hashed: the store only ever exposes complete, verified blocks.
#pragma once

#include <memory>
#include <string>

#include "common/range_reader.h"
#include "service/backup/backup.h"
#include "service/backup/backup_store.h"

namespace imagefs::service::backup {

// `store` must outlive the reader. REQUIRES: manifest.Validate() is OK.
std::unique_ptr<RangeReader> NewBackupReader(BackupStore& store, std::string container,
                                             Manifest manifest);

}  // namespace imagefs::service::backup
