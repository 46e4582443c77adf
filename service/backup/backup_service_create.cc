// The create job: copy the blocks an image's backup container lacks, then make
// the backup available (see backup_service.h).
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "common/crc32c.h"
#include "common/digest.h"
#include "common/log.h"
#include "service/backup/backup_service.h"

namespace imagefs::service::backup {
namespace {

// Reads bytes [offset, offset+length) of the image into `buf`.
Status ReadBlock(RangeReader& image, uint64_t offset, size_t length, std::string& buf) {
  buf.resize(length);
  size_t done = 0;
  while (done < length) {
    IMAGEFS_ASSIGN_OR_RETURN(size_t n,
                             image.ReadAt(offset + done, buf.data() + done, length - done));
    if (n == 0) return DataLoss("the image's data is shorter than its block map");
    done += n;
  }
  return Status::Ok();
}

// Stages every block of `map` the container lacks, each checked against the
// CRC-32C recorded with its digest at upload, or against the digest itself for maps
// recorded before imaged kept CRCs; blocks already there (or already staged) are
// not read at all. From a local file the writer copies and verifies (PutFromFile: no
// copy through this thread, and the checking runs on the writer's threads);
// otherwise this thread reads and verifies.
Status StageBlocks(std::stop_token stop, const wire::BlockMap& map, RangeReader& image,
                   BackupWriter& writer) {
  const bool have_crcs = !map.crc32c.empty();
  if (have_crcs && map.crc32c.size() != map.digests.size()) {
    return DataLoss("the block map has " + std::to_string(map.crc32c.size()) + " CRCs for " +
                    std::to_string(map.digests.size()) + " blocks");
  }
  for (size_t i = 0; i < map.digests.size(); ++i) {
    if (stop.stop_requested()) return Cancelled("imaged is stopping");
    const std::string& digest = map.digests[i];
    IMAGEFS_ASSIGN_OR_RETURN(bool present, writer.Has(digest));
    if (present) continue;
    uint64_t offset = uint64_t{i} * map.block_size;
    size_t length = static_cast<size_t>(std::min<uint64_t>(map.block_size, map.size - offset));
    std::optional<uint32_t> crc = have_crcs ? std::optional(map.crc32c[i]) : std::nullopt;
    if (image.fd() >= 0) {
      IMAGEFS_RETURN_IF_ERROR(writer.PutFromFile(digest, crc, image.fd(), offset, length));
      continue;
    }
    std::string buf = writer.TakeBuffer();
    IMAGEFS_RETURN_IF_ERROR(ReadBlock(image, offset, length, buf));
    bool good =
        crc ? Crc32c(buf.data(), buf.size()) == *crc : Sha256Raw(buf.data(), buf.size()) == digest;
    if (!good) {
      return DataLoss("block " + std::to_string(i) + " of the image does not match its " +
                      (crc ? "recorded CRC-32C" : "digest"));
    }
    IMAGEFS_RETURN_IF_ERROR(writer.Put(digest, std::move(buf)));
  }
  return Status::Ok();
}

// The catalog batch that makes a copied backup available: record, manifest and
// block references together.
Status Complete(BackupCatalog& backups, const std::string& id, const Manifest& manifest,
                uint64_t stored, Clock& clock) {
  int64_t now = clock.WallMicros();
  return backups
      .Complete(
          id,
          [&](Backup& b) {
            if (b.status != BackupStatus::kCreating) {
              return FailedPrecondition("the backup left creating");
            }
            b.status = BackupStatus::kAvailable;
            b.object_count = manifest.digests.size();
            b.stored_bytes = stored;
            b.fail_reason.reset();
            b.updated_at = now;
            return Status::Ok();
          },
          manifest)
      .status();
}

int64_t Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

Status BackupService::CopyBlocks(std::stop_token stop, const Backup& backup,
                                 const wire::BlockMap& map, std::vector<std::string>* added) {
  Result<std::unique_ptr<RangeReader>> image = image_store_.Open(backup.image_id);
  if (!image.ok()) return image.status().Annotate("reading image " + backup.image_id);
  if ((*image)->size() != map.size) return DataLoss("the image's size differs from its block map");
  if ((*image)->fd() >= 0) ::posix_fadvise((*image)->fd(), 0, 0, POSIX_FADV_SEQUENTIAL);
  Manifest manifest{map.size, map.block_size, map.digests};
  IMAGEFS_RETURN_IF_ERROR(manifest.Validate());
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<BackupWriter> writer,
                           store_.BeginBackup(backup.container));
  auto start = clock_.Now();
  Status s = StageBlocks(stop, map, **image, *writer);
  auto staged = clock_.Now();
  if (s.ok()) s = writer->Commit(backup.id, manifest);
  auto committed = clock_.Now();
  if (s.ok()) s = Complete(backups_, backup.id, manifest, writer->added_bytes(), clock_);
  *added = writer->added();
  if (s.ok()) {
    IMAGEFS_LOG(INFO,
                "backup {} of image {} available: {} blocks, {} new ({} bytes); copy {} ms, "
                "commit {} ms",
                backup.id, backup.image_id, map.digests.size(), added->size(),
                writer->added_bytes(), Millis(staged - start), Millis(committed - staged));
  }
  return s;  // the writer (and its shared lock) goes now, before any Release
}

void BackupService::RunCreate(std::stop_token stop, const std::string& id,
                              const wire::BlockMap& map) {
  Result<Backup> backup = backups_.Get(id);
  if (!backup.ok()) return;
  std::vector<std::string> added;
  Status s = CopyBlocks(stop, *backup, map, &added);
  if (s.ok()) return;
  IMAGEFS_LOG(ERROR, "backup {} of image {} failed: {}", id, backup->image_id, s.ToString());
  Fail(id, s);
  // At shutdown the next start's sweep does this instead of delaying the stop.
  if (!stop.stop_requested()) ReleaseUnused(*backup, added);
}

}  // namespace imagefs::service::backup
