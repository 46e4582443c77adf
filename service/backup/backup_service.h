// BackupService: the lifecycle of image backups (spec 4.1). The calls check and
// record a transition and return at once; the work runs on a JobQueue:
//
//   create   creating -> available (or error, with fail_reason)
//   delete   available|error -> deleting -> gone (or error_deleting)
//   restore  available -> restoring -> available; the target image goes
//            queued -> saving -> active (or back to queued / killed)
//   import   creating -> available (or error)
//
// Creating reads only the image's blocks the container lacks (decided by the
// image's block map digests, no reading), verifies each against its digest,
// and stages it while the next is read. The record turns available in one
// catalog batch with the manifest and the block references, after the blocks and
// the reference file are durable. Deleting drops the references in the batch
// that marks it deleting, then frees the blocks nothing uses any more
// (BackupStore::Release). Restoring streams the blocks into a new upload of the
// image store, checks every block digest and the md5 again, and activates the
// image in one catalog batch, as an upload does.
//
// Recover() runs at startup, before the server accepts requests: creating ->
// error, restoring -> available (an image it created is killed), deleting is
// resumed, and a background sweep of every container removes what a crash left.
//
// Access rules (projects, roles) are the API's; this class trusts its caller.
// Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/range_reader.h"
#include "common/result.h"
#include "service/backup/backup.h"
#include "service/backup/backup_catalog.h"
#include "service/backup/backup_store.h"
#include "service/backup/job_queue.h"
#include "service/catalog/catalog.h"
#include "service/identity.h"
#include "service/store/image_store.h"

namespace imagefs::service::backup {

// The volume_id of a backup whose import has not completed (Cinder's placeholder).
inline constexpr std::string_view kImportPlaceholderImageId =
    "00000000-0000-0000-0000-000000000000";

struct BackupServiceOptions {
  // Threads running jobs. Default: 3 (a delete may wait for a create's container).
  size_t workers = 3;
  // The availability zone backups report and accept. Default: "nova".
  std::string availability_zone = "nova";
};

struct CreateBackupRequest {
  std::string image_id;
  std::string project_id;
  std::string user_id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  // Default: the parent's container for an incremental backup, else kDefaultContainer.
  std::optional<std::string> container;
  bool incremental = false;
  std::map<std::string, std::string> metadata;
};

struct RestoreRequest {
  std::string backup_id;
  // Restore into this image, which must be queued (no data); else a new image.
  std::optional<std::string> image_id;
  // Name of a new image. Default: "restore_backup_<backup id>".
  std::optional<std::string> name;
  std::string project_id;  // owner of a new image
};

struct RestoreTicket {
  std::string backup_id;
  std::string image_id;
  std::optional<std::string> image_name;
};

class BackupService {
 public:
  // Every reference must outlive the service.
  BackupService(BackupCatalog& backups, BackupStore& store, Catalog& images,
                ImageStore& image_store, Clock& clock, const BackupServiceOptions& options);
  // Stops the workers: a running job ends early (its backup goes to error, or
  // stays for Recover() to finish); queued jobs wait for the next start.
  ~BackupService();
  BackupService(const BackupService&) = delete;
  BackupService& operator=(const BackupService&) = delete;

  // Startup recovery (see the file comment). Call once, before any other call.
  Status Recover();

  // Starts a backup of an image the caller may read. InvalidArgument when the
  // image is not active, when `incremental` finds no available backup of the
  // image in the project ("No backups available to do an incremental backup."),
  // or for a bad container name; NotFound for an unknown image.
  Result<Backup> Create(const CreateBackupRequest& request);

  // InvalidArgument unless the backup is available or error, or when incremental
  // backups depend on it. NotFound for an unknown id.
  Result<Backup> Delete(std::string_view id);

  // InvalidArgument unless the backup is available and the target image (when
  // given) is queued; NotFound for an unknown backup or image.
  Result<RestoreTicket> Restore(const RestoreRequest& request);

  // The backup's bytes (see backup_reader.h). InvalidArgument unless the backup is
  // available or restoring; NotFound for an unknown id.
  Result<std::unique_ptr<RangeReader>> OpenData(std::string_view id);

  // The export record (JSON, see backup_codec.h). InvalidArgument unless available.
  Result<std::string> Export(std::string_view id);

  // Records backup `id` as creating, owned by the caller, and validates
  // `record_json` in the background. InvalidArgument ("Backup already exists in
  // database.") when the id is taken.
  Result<Backup> Import(std::string_view id, std::string_view backup_service,
                        std::string record_json, const Identity& caller);

  // os-reset_status: `status` must be available or error. InvalidArgument while
  // a job runs for the backup, or for available when its blocks are not complete.
  Result<Backup> ResetStatus(std::string_view id, BackupStatus status);

  BackupCatalog& catalog() { return backups_; }
  const BackupServiceOptions& options() const { return options_; }

  // Blocks until no job is queued or running (tests and shutdown).
  void WaitIdle() { jobs_.WaitIdle(); }

 private:
  // Background jobs (backup_service_*.cc).
  void RunCreate(std::stop_token stop, const std::string& id, const wire::BlockMap& map);
  void RunDelete(const std::string& id);
  void RunRestore(std::stop_token stop, const std::string& id);
  void RunImport(std::stop_token stop, const std::string& id, const std::string& backup_service,
                 const std::string& record_json);
  void SweepAll();

  // Copies the image's missing blocks, commits them and completes the record;
  // `added` receives the blocks the copy made visible, whatever the outcome.
  Status CopyBlocks(std::stop_token stop, const Backup& backup, const wire::BlockMap& map,
                    std::vector<std::string>* added);
  Status VerifyAndHold(std::stop_token stop, const Backup& backup, const Manifest& manifest,
                       BackupWriter& writer);
  Status WriteImage(std::stop_token stop, const Backup& backup, const Manifest& manifest);
  void FinishRestore(const Backup& backup, const Status& outcome);
  Result<wire::Image> PrepareTarget(const RestoreRequest& request, const Backup& backup);

  // Marks the backup error with `why` (best effort; logs).
  void Fail(const std::string& id, const Status& why);
  // Frees blocks a failed backup added and nothing uses (best effort; logs).
  void ReleaseUnused(const Backup& backup, const std::vector<std::string>& blocks);
  InUseFn InUse(const std::string& container);

  BackupCatalog& backups_;
  BackupStore& store_;
  Catalog& images_;
  ImageStore& image_store_;
  Clock& clock_;
  const BackupServiceOptions options_;
  // Serializes the check-then-record part of Create, Delete, Restore, Import
  // and ResetStatus (e.g. no incremental may appear under a parent being deleted).
  // Never held across I/O other than catalog writes.
  std::mutex admin_mu_;
  // Last member: stopped and joined before everything the jobs use.
  JobQueue jobs_;
};

}  // namespace imagefs::service::backup
