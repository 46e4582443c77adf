// BackupService: construction, recovery, the synchronous half of each call,
// deletion and the sweep. Create, restore and import jobs live in
// backup_service_{create,restore,import}.cc.
#include "service/backup/backup_service.h"

#include <algorithm>
#include <climits>

#include "common/log.h"
#include "common/uuid.h"
#include "service/backup/backup_codec.h"
#include "service/backup/backup_reader.h"

namespace imagefs::service::backup {
namespace {

bool IsJobStatus(BackupStatus s) {
  return s == BackupStatus::kCreating || s == BackupStatus::kDeleting ||
         s == BackupStatus::kRestoring;
}

ImageSnapshot SnapshotOf(const wire::Image& image) {
  ImageSnapshot s;
  s.name = image.name;
  s.disk_format = image.disk_format;
  s.container_format = image.container_format;
  s.min_disk = image.min_disk;
  s.min_ram = image.min_ram;
  s.checksum = image.checksum.value_or("");
  s.os_hash_value = image.os_hash_value.value_or("");
  s.properties = image.properties;
  return s;
}

}  // namespace

BackupService::BackupService(BackupCatalog& backups, BackupStore& store, Catalog& images,
                             ImageStore& image_store, Clock& clock,
                             const BackupServiceOptions& options)
    : backups_(backups),
      store_(store),
      images_(images),
      image_store_(image_store),
      clock_(clock),
      options_(options),
      jobs_(std::max<size_t>(options.workers, 1)) {}

BackupService::~BackupService() = default;

Status BackupService::Recover() {
  for (const Backup& b : backups_.List()) {
    if (b.status == BackupStatus::kCreating) {
      IMAGEFS_LOG(WARN, "recovery: backup {} was being created when imaged stopped", b.id);
      Fail(b.id, Unavailable("imaged stopped before the backup completed"));
    } else if (b.status == BackupStatus::kRestoring) {
      IMAGEFS_LOG(WARN, "recovery: backup {} was being restored when imaged stopped", b.id);
      FinishRestore(b, Unavailable("imaged stopped during the restore"));
    } else if (b.status == BackupStatus::kDeleting) {
      IMAGEFS_LOG(INFO, "recovery: resuming the deletion of backup {}", b.id);
      std::string id = b.id;
      jobs_.Submit([this, id](std::stop_token) { RunDelete(id); });
    }
  }
  jobs_.Submit([this](std::stop_token) { SweepAll(); });
  return Status::Ok();
}

Result<Backup> BackupService::Create(const CreateBackupRequest& request) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, images_.GetImage(request.image_id));
  if (image.status != wire::ImageStatus::kActive) {
    return InvalidArgument("Image to be backed up must be active, but the current status is \"" +
                           std::string(wire::ToString(image.status)) + "\".");
  }
  IMAGEFS_ASSIGN_OR_RETURN(wire::BlockMap map, images_.GetBlockMap(request.image_id));
  std::lock_guard lock(admin_mu_);
  std::optional<Backup> parent;
  if (request.incremental) {
    // Cinder's choice: the available backup with the latest data_timestamp; when
    // none is available, any one (which then fails the check below).
    auto rank = [](const Backup& b) {
      return b.status == BackupStatus::kAvailable ? b.data_timestamp : INT64_MIN;
    };
    for (Backup& b : backups_.List()) {
      if (b.image_id != request.image_id || b.project_id != request.project_id) continue;
      if (!parent || rank(b) > rank(*parent)) parent = std::move(b);
    }
    if (!parent || parent->status != BackupStatus::kAvailable) {
      return InvalidArgument("No backups available to do an incremental backup.");
    }
  }
  int64_t now = clock_.WallMicros();
  Backup b;
  b.id = NewUuid();
  b.project_id = request.project_id;
  b.user_id = request.user_id;
  b.name = request.name;
  b.description = request.description;
  b.image_id = request.image_id;
  b.container = request.container ? *request.container
                : parent          ? parent->container
                                  : std::string(kDefaultContainer);
  IMAGEFS_RETURN_IF_ERROR(ValidateContainerName(b.container));
  b.availability_zone = options_.availability_zone;
  b.created_at = b.data_timestamp = now;
  if (parent) b.parent_id = parent->id;
  b.metadata = request.metadata;
  b.image = SnapshotOf(image);
  b.size_bytes = map.size;
  IMAGEFS_RETURN_IF_ERROR(backups_.Create(b));
  std::string id = b.id;
  jobs_.Submit(
      [this, id, map = std::move(map)](std::stop_token stop) { RunCreate(stop, id, map); });
  return b;
}

Result<Backup> BackupService::Delete(std::string_view id) {
  std::lock_guard lock(admin_mu_);
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, backups_.Get(id));
  if (backup.status != BackupStatus::kAvailable && backup.status != BackupStatus::kError) {
    return InvalidArgument("Backup status must be available or error");
  }
  for (const Backup& b : backups_.List()) {
    if (b.parent_id == backup.id) {
      return InvalidArgument("Incremental backups exist for this backup.");
    }
  }
  int64_t now = clock_.WallMicros();
  IMAGEFS_ASSIGN_OR_RETURN(backup, backups_.Uncount(id, [now](Backup& b) {
    b.status = BackupStatus::kDeleting;
    b.updated_at = now;
    return Status::Ok();
  }));
  std::string key = backup.id;
  jobs_.Submit([this, key](std::stop_token) { RunDelete(key); });
  return backup;
}

void BackupService::RunDelete(const std::string& id) {
  Result<Backup> backup = backups_.Get(id);
  if (!backup.ok()) return;
  std::vector<std::string> candidates;
  if (Result<Manifest> m = backups_.GetManifest(id); m.ok()) candidates = std::move(m->digests);
  Result<uint64_t> freed =
      store_.Release(backup->container, id, candidates, InUse(backup->container));
  Status removed = freed.ok() ? backups_.Remove(id) : freed.status();
  if (removed.ok()) {
    IMAGEFS_LOG(INFO, "backup {} deleted; {} bytes freed in container {}", id, *freed,
                backup->container);
    return;
  }
  IMAGEFS_LOG(ERROR, "backup {}: delete failed: {}", id, removed.ToString());
  int64_t now = clock_.WallMicros();
  backups_
      .Update(id,
              [&](Backup& b) {
                b.status = BackupStatus::kErrorDeleting;
                b.fail_reason = removed.message();
                b.updated_at = now;
                return Status::Ok();
              })
      .status()
      .IgnoreError();
}

Result<std::unique_ptr<RangeReader>> BackupService::OpenData(std::string_view id) {
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, backups_.Get(id));
  if (backup.status != BackupStatus::kAvailable && backup.status != BackupStatus::kRestoring) {
    return InvalidArgument("Backup status must be available and not " +
                           std::string(ToString(backup.status)) + ".");
  }
  IMAGEFS_ASSIGN_OR_RETURN(Manifest manifest, backups_.GetManifest(id));
  return NewBackupReader(store_, backup.container, std::move(manifest));
}

Result<std::string> BackupService::Export(std::string_view id) {
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, backups_.Get(id));
  if (backup.status != BackupStatus::kAvailable) {
    return InvalidArgument("Backup status must be available and not " +
                           std::string(ToString(backup.status)) + ".");
  }
  IMAGEFS_ASSIGN_OR_RETURN(Manifest manifest, backups_.GetManifest(id));
  return EncodeExportRecord(backup, manifest);
}

Result<Backup> BackupService::Import(std::string_view id, std::string_view backup_service,
                                     std::string record_json, const Identity& caller) {
  std::lock_guard lock(admin_mu_);
  if (backups_.Get(id).ok()) return InvalidArgument("Backup already exists in database.");
  Backup b;
  b.id = std::string(id);
  b.project_id = caller.project;
  b.user_id = caller.user;
  b.image_id = std::string(kImportPlaceholderImageId);
  b.container = std::string(kDefaultContainer);
  b.availability_zone = options_.availability_zone;
  b.created_at = b.data_timestamp = clock_.WallMicros();
  IMAGEFS_RETURN_IF_ERROR(backups_.Create(b));
  jobs_.Submit([this, key = b.id, service = std::string(backup_service),
                json = std::move(record_json)](std::stop_token stop) {
    RunImport(stop, key, service, json);
  });
  return b;
}

Result<Backup> BackupService::ResetStatus(std::string_view id, BackupStatus status) {
  std::lock_guard lock(admin_mu_);
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, backups_.Get(id));
  if (IsJobStatus(backup.status)) {
    return InvalidArgument("Backup " + backup.id + " is " + std::string(ToString(backup.status)) +
                           "; its status cannot be reset until that finishes.");
  }
  if (status == BackupStatus::kAvailable && !backup.counted) {
    return InvalidArgument("Backup " + backup.id + " never completed; it cannot be available.");
  }
  int64_t now = clock_.WallMicros();
  return backups_.Update(id, [&](Backup& b) {
    b.status = status;
    b.updated_at = now;
    return Status::Ok();
  });
}

void BackupService::Fail(const std::string& id, const Status& why) {
  int64_t now = clock_.WallMicros();
  Result<Backup> r = backups_.Update(id, [&](Backup& b) {
    b.status = BackupStatus::kError;
    b.fail_reason = why.message();
    b.updated_at = now;
    return Status::Ok();
  });
  if (!r.ok())
    IMAGEFS_LOG(ERROR, "backup {}: cannot record the failure: {}", id, r.status().ToString());
}

void BackupService::ReleaseUnused(const Backup& backup, const std::vector<std::string>& blocks) {
  Result<uint64_t> freed =
      store_.Release(backup.container, backup.id, blocks, InUse(backup.container));
  if (!freed.ok()) {
    IMAGEFS_LOG(WARN, "backup {}: blocks it added stay until the next sweep: {}", backup.id,
                freed.status().ToString());
  }
}

InUseFn BackupService::InUse(const std::string& container) {
  return [this, container](std::string_view digest) {
    return backups_.RefCount(container, digest) > 0;
  };
}

void BackupService::SweepAll() {
  Result<std::vector<std::string>> containers = store_.Containers();
  if (!containers.ok()) {
    IMAGEFS_LOG(ERROR, "backup sweep: {}", containers.status().ToString());
    return;
  }
  IsLiveFn is_live = [this](std::string_view id) {
    Result<Backup> b = backups_.Get(id);
    return b.ok() && b->counted;
  };
  for (const auto& container : *containers) {
    Result<SweepReport> r = store_.Sweep(container, is_live);
    if (!r.ok()) {
      IMAGEFS_LOG(ERROR, "backup sweep of {}: {}", container, r.status().ToString());
    } else if (r->blocks_removed + r->references_removed + r->staged_removed > 0) {
      IMAGEFS_LOG(INFO,
                  "backup sweep of {}: removed {} unused blocks ({} bytes), {} stale references, "
                  "{} staged files",
                  container, r->blocks_removed, r->bytes_removed, r->references_removed,
                  r->staged_removed);
    }
  }
}

}  // namespace imagefs::service::backup
