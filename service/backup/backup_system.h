// BackupSystem: the backup catalog, the backup store and the BackupService, opened
// and recovered together, for the daemon. Destroying it stops the service's
// workers before the catalog and store they use go away.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "service/backup/backup_catalog.h"
#include "service/backup/backup_service.h"
#include "service/backup/backup_store.h"
#include "service/catalog/catalog.h"
#include "service/store/image_store.h"

namespace imagefs::service::backup {

struct BackupSystemOptions {
  // The backup catalog's RocksDB directory (<data-dir>/backups-db). Required.
  std::string catalog_dir;
  // The backup store's directory (--backup-dir; default <data-dir>/backups). Required.
  std::string store_dir;
  // fsync catalog writes and backup blocks. Default: true.
  bool fsync = true;
  BackupServiceOptions service;
};

struct BackupSystem {
  // Declaration order is destruction order reversed: the service goes first.
  std::unique_ptr<BackupCatalog> catalog;
  std::unique_ptr<BackupStore> store;
  std::unique_ptr<BackupService> service;
};

// Opens the catalog and the store, runs BackupService::Recover() (which queues
// the resumed deletions and the sweep) and returns the running system.
Result<std::unique_ptr<BackupSystem>> StartBackupSystem(const BackupSystemOptions& options,
                                                        Catalog& images, ImageStore& image_store,
                                                        Clock& clock);

}  // namespace imagefs::service::backup
