// The import job: an export record from another imaged (or from this one) whose
// blocks are already in the shared backup store becomes a backup here, once
// every block it names is present and verified (see backup_service.h).
#include <set>

#include "common/digest.h"
#include "common/log.h"
#include "service/backup/backup_codec.h"
#include "service/backup/backup_service.h"

namespace imagefs::service::backup {
namespace {

constexpr std::string_view kUnsupportedService =
    "Import record failed, cannot find backup service to perform the import. Request "
    "unsupported.";

}  // namespace

Status BackupService::VerifyAndHold(std::stop_token stop, const Backup& backup,
                                    const Manifest& manifest, BackupWriter& writer) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < manifest.digests.size(); ++i) {
    if (stop.stop_requested()) return Cancelled("imaged is stopping");
    const std::string& digest = manifest.digests[i];
    if (!seen.insert(digest).second) continue;
    IMAGEFS_ASSIGN_OR_RETURN(bool present, writer.Has(digest));
    if (!present) {
      return DataLoss("block " + ToHex(digest) + " of the backup is missing from container " +
                      backup.container);
    }
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> block,
                             store_.OpenBlock(backup.container, digest));
    if (block->size() != manifest.BlockLength(i)) {
      return DataLoss("block " + ToHex(digest) + " of the backup has the wrong size");
    }
    IMAGEFS_ASSIGN_OR_RETURN(std::string bytes, block->ReadExactly(0, block->size()));
    if (Sha256Raw(bytes.data(), bytes.size()) != digest) {
      return DataLoss("block " + ToHex(digest) + " of the backup does not match its digest");
    }
  }
  return writer.Commit(backup.id, manifest);
}

void BackupService::RunImport(std::stop_token stop, const std::string& id,
                              const std::string& backup_service, const std::string& record_json) {
  if (backup_service != kBackupServiceName)
    return Fail(id, InvalidArgument(std::string(kUnsupportedService)));
  Result<ExportRecord> record = DecodeExportRecord(record_json);
  if (!record.ok()) return Fail(id, record.status());
  const Backup& source = record->backup;
  if (source.id != id) return Fail(id, InvalidArgument("the record describes another backup"));
  if (Status s = ValidateContainerName(source.container); !s.ok()) return Fail(id, s);
  Status s;
  {
    Result<std::unique_ptr<BackupWriter>> writer = store_.BeginBackup(source.container);
    s = writer.ok() ? VerifyAndHold(stop, source, record->manifest, **writer) : writer.status();
    int64_t now = clock_.WallMicros();
    if (s.ok()) {
      s = backups_
              .Complete(
                  id,
                  [&](Backup& b) {
                    if (b.status != BackupStatus::kCreating) {
                      return FailedPrecondition("the backup left creating");
                    }
                    b.name = source.name;
                    b.description = source.description;
                    b.image_id = source.image_id;
                    b.container = source.container;
                    b.created_at = source.created_at;
                    b.data_timestamp = source.data_timestamp;
                    b.parent_id = source.parent_id;
                    b.metadata = source.metadata;
                    b.image = source.image;
                    b.size_bytes = source.size_bytes;
                    b.object_count = source.object_count;
                    b.stored_bytes = 0;
                    b.status = BackupStatus::kAvailable;
                    b.fail_reason.reset();
                    b.updated_at = now;
                    return Status::Ok();
                  },
                  record->manifest)
              .status();
    }
  }  // the writer's shared lock goes before any Release
  if (s.ok()) {
    IMAGEFS_LOG(INFO, "backup {} imported from container {}", id, source.container);
    return;
  }
  IMAGEFS_LOG(ERROR, "backup {}: import failed: {}", id, s.ToString());
  Fail(id, s);
  if (!stop.stop_requested()) ReleaseUnused(source, {});  // drops its reference file
}

}  // namespace imagefs::service::backup
