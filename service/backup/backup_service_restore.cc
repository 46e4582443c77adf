// Restore: a backup's blocks streamed into an image, through the image store's
// upload path, so the image turns active only once its bytes are durable and
// checked (see backup_service.h).
#include "common/log.h"
#include "common/uuid.h"
#include "service/backup/backup_service.h"
#include "service/formats/format_inspector.h"

namespace imagefs::service::backup {
namespace {

// The restored bytes must be the backed-up bytes: same size, same block digests
// (when hashed in blocks of the same size), same md5 and sha512 as the image had.
Status CheckRestored(const Backup& backup, const Manifest& manifest, const UploadResult& up) {
  if (up.size != manifest.size) return DataLoss("the restored size differs from the backup's");
  if (up.block_size == manifest.block_size && up.block_digests != manifest.digests) {
    return DataLoss("the restored blocks differ from the backup's");
  }
  if (!backup.image.checksum.empty() && up.md5_hex != backup.image.checksum) {
    return DataLoss("the restored md5 differs from the image's");
  }
  if (!backup.image.os_hash_value.empty() && up.sha512_hex != backup.image.os_hash_value) {
    return DataLoss("the restored sha512 differs from the image's");
  }
  return Status::Ok();
}

}  // namespace

Result<wire::Image> BackupService::PrepareTarget(const RestoreRequest& request,
                                                 const Backup& backup) {
  int64_t now = clock_.WallMicros();
  if (request.image_id) {
    return images_.UpdateImage(*request.image_id, [&](wire::Image& img) -> Status {
      if (img.status != wire::ImageStatus::kQueued) {
        return InvalidArgument(
            "Image to be restored to must be queued, without data, but its "
            "status is \"" +
            std::string(wire::ToString(img.status)) + "\".");
      }
      if (!img.disk_format) img.disk_format = backup.image.disk_format;
      if (!img.container_format) img.container_format = backup.image.container_format;
      if (!img.disk_format || !img.container_format) {
        return InvalidArgument("The image to restore to needs disk_format and container_format.");
      }
      img.properties["src_backup_id"] = backup.id;
      img.status = wire::ImageStatus::kSaving;
      img.updated_at = now;
      return Status::Ok();
    });
  }
  wire::Image img;
  img.id = NewUuid();
  img.name = request.name ? *request.name : "restore_backup_" + backup.id;
  img.owner = request.project_id;
  img.disk_format = backup.image.disk_format;
  img.container_format = backup.image.container_format;
  img.min_disk = backup.image.min_disk;
  img.min_ram = backup.image.min_ram;
  img.properties = backup.image.properties;
  img.properties["src_backup_id"] = backup.id;
  img.created_at = img.updated_at = now;
  img.status = wire::ImageStatus::kSaving;  // a crash now leaves it queued (image recovery)
  IMAGEFS_RETURN_IF_ERROR(images_.CreateImage(img));
  return img;
}

Result<RestoreTicket> BackupService::Restore(const RestoreRequest& request) {
  std::lock_guard lock(admin_mu_);
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, backups_.Get(request.backup_id));
  if (backup.status != BackupStatus::kAvailable) {
    return InvalidArgument("Backup status must be available");
  }
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image target, PrepareTarget(request, backup));
  int64_t now = clock_.WallMicros();
  Result<Backup> restoring = backups_.Update(backup.id, [&](Backup& b) {
    b.status = BackupStatus::kRestoring;
    b.restore_image_id = target.id;
    b.restore_created_image = !request.image_id.has_value();
    b.updated_at = now;
    return Status::Ok();
  });
  if (!restoring.ok()) {
    Backup undo = backup;
    undo.restore_image_id = target.id;
    undo.restore_created_image = !request.image_id.has_value();
    FinishRestore(undo, restoring.status());
    return restoring.status();
  }
  jobs_.Submit([this, id = backup.id](std::stop_token stop) { RunRestore(stop, id); });
  return RestoreTicket{backup.id, target.id, target.name};
}

Status BackupService::WriteImage(std::stop_token stop, const Backup& backup,
                                 const Manifest& manifest) {
  const std::string& image_id = *backup.restore_image_id;
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, images_.GetImage(image_id));
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<UploadWriter> upload,
                           image_store_.BeginUpload(image_id));
  for (size_t i = 0; i < manifest.digests.size(); ++i) {
    if (stop.stop_requested()) return Cancelled("imaged is stopping");
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> block,
                             store_.OpenBlock(backup.container, manifest.digests[i]));
    uint64_t length = manifest.BlockLength(i);
    if (block->size() != length) return DataLoss("a block of the backup has the wrong size");
    IMAGEFS_ASSIGN_OR_RETURN(std::string bytes, block->ReadExactly(0, length));
    IMAGEFS_RETURN_IF_ERROR(upload->Append(bytes.data(), bytes.size()));
  }
  IMAGEFS_ASSIGN_OR_RETURN(UploadResult up, upload->Finish());
  IMAGEFS_RETURN_IF_ERROR(CheckRestored(backup, manifest, up));
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<int64_t> virtual_size,
                           CheckUpload(image.disk_format.value_or(""),
                                       image.container_format.value_or(""), upload->Data()));
  if (up.size == 0) virtual_size.reset();
  IMAGEFS_RETURN_IF_ERROR(upload->Commit());
  wire::BlockMap map;
  map.image_id = image_id;
  map.content_key = up.sha512_hex;
  map.size = up.size;
  map.block_size = up.block_size;
  map.digests = up.block_digests;
  map.crc32c = up.block_crc32c;
  int64_t now = clock_.WallMicros();
  Result<wire::Image> active = images_.UpdateImageWithBlockMap(
      image_id,
      [&](wire::Image& img) -> Status {
        if (img.status != wire::ImageStatus::kSaving) {
          return FailedPrecondition("image " + image_id + " was deleted during the restore");
        }
        img.status = wire::ImageStatus::kActive;
        img.size = static_cast<int64_t>(up.size);
        img.virtual_size = virtual_size;
        img.checksum = up.md5_hex;
        img.os_hash_algo = "sha512";
        img.os_hash_value = up.sha512_hex;
        img.block_size = up.block_size;
        img.stores = {image_store_.id()};
        img.updated_at = now;
        return Status::Ok();
      },
      map);
  if (!active.ok()) image_store_.Remove(image_id).IgnoreError();
  return active.status();
}

void BackupService::RunRestore(std::stop_token stop, const std::string& id) {
  Result<Backup> backup = backups_.Get(id);
  if (!backup.ok() || !backup->restore_image_id) return;
  Result<Manifest> manifest = backups_.GetManifest(id);
  Status s = manifest.ok() ? WriteImage(stop, *backup, *manifest) : manifest.status();
  if (s.ok()) {
    IMAGEFS_LOG(INFO, "backup {} restored to image {}", id, *backup->restore_image_id);
  } else {
    IMAGEFS_LOG(ERROR, "backup {}: restore to image {} failed: {}", id, *backup->restore_image_id,
                s.ToString());
  }
  FinishRestore(*backup, s);
}

void BackupService::FinishRestore(const Backup& backup, const Status& outcome) {
  int64_t now = clock_.WallMicros();
  if (!outcome.ok() && backup.restore_image_id) {
    // As Cinder leaves a volume it created in error: a created image is killed,
    // an image that was given is queued again, ready for another try.
    bool created = backup.restore_created_image;
    Result<wire::Image> r = images_.UpdateImage(*backup.restore_image_id, [&](wire::Image& img) {
      bool pending = img.status == wire::ImageStatus::kSaving ||
                     (created && img.status == wire::ImageStatus::kQueued);
      if (!pending) return Status::Ok();
      img.status = created ? wire::ImageStatus::kKilled : wire::ImageStatus::kQueued;
      img.size.reset();
      img.virtual_size.reset();
      img.updated_at = now;
      return Status::Ok();
    });
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
      IMAGEFS_LOG(ERROR, "image {}: cannot undo the failed restore: {}", *backup.restore_image_id,
                  r.status().ToString());
    }
  }
  Result<Backup> r = backups_.Update(backup.id, [&](Backup& b) {
    if (b.status == BackupStatus::kRestoring) b.status = BackupStatus::kAvailable;
    b.restore_image_id.reset();
    b.restore_created_image = false;
    b.updated_at = now;
    return Status::Ok();
  });
  if (!r.ok())
    IMAGEFS_LOG(ERROR, "backup {}: cannot end the restore: {}", backup.id, r.status().ToString());
}

}  // namespace imagefs::service::backup
