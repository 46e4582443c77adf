#include "service/backup/backup_system.h"

namespace imagefs::service::backup {

Result<std::unique_ptr<BackupSystem>> StartBackupSystem(const BackupSystemOptions& options,
                                                        Catalog& images, ImageStore& image_store,
                                                        Clock& clock) {
  auto system = std::make_unique<BackupSystem>();
  IMAGEFS_ASSIGN_OR_RETURN(system->catalog,
                           OpenBackupCatalog({options.catalog_dir, options.fsync}));
  LocalBackupStoreOptions store_options;
  store_options.dir = options.store_dir;
  store_options.instance_id = system->catalog->instance_id();
  store_options.fsync = options.fsync;
  IMAGEFS_ASSIGN_OR_RETURN(system->store, NewLocalBackupStore(store_options));
  system->service = std::make_unique<BackupService>(*system->catalog, *system->store, images,
                                                    image_store, clock, options.service);
  IMAGEFS_RETURN_IF_ERROR(system->service->Recover());
  return system;
}

}  // namespace imagefs::service::backup
