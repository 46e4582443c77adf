// CatalogClient: what the mount asks of the Images API (imaged, or a plain Glance).
// The seam between the filesystem and the network: HttpCatalogClient speaks HTTP,
// tests use FakeCatalogClient (tests/testing/fs/).
//
// Calls the mount depends on (docs/semantics.md §10):
//   GET   /v2/images?limit=1000[&marker=]          ListImages (all pages, following `next`)
//   GET   /v2/images?updated_at=gt:T&sort=updated_at:asc&limit=1000   ListImages(after)
//   GET   /v2/images/{id}                          GetImage
//   GET   /v2/images/{id}/blocks                   GetBlockMap (imagefs extension)
//   GET   /v2/images/{id}/file  Range: bytes=a-b   ReadRange
//   GET   /v3/{project}/backups/{id}/blocks         GetBlockMap of BackupSourceId (imaged)
//   GET   /v3/{project}/backups/{id}/data  Range    ReadRange of BackupSourceId (imaged)
//   PATCH /v2/images/{id}  (v2.1 json-patch)       PatchImage
//   GET   /v2/images?visibility=shared&member_status=all   ListSharedImages (members/)
//   GET/POST/PUT/DELETE /v2/images/{id}/members[/{member}]  members/ (§11)
//   GET   /v3/{project}/backups/detail, GET/DELETE .../backups/{id},
//   POST  .../backups, POST .../backups/{id}/restore     backups/ (§12)
//
// Errors, for every call: NotFound (404), PermissionDenied (403), Unauthenticated
// (401), InvalidArgument (400), AlreadyExists (409), OutOfRange (416); Unavailable
// when the service could not be reached or kept failing (5xx, resets, stalls) until
// the deadline; DeadlineExceeded when the deadline passed first.
//
// Implementations are thread-safe and hold no lock of the caller's.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::fs {

using Deadline = std::chrono::steady_clock::time_point;

struct CallOptions {
  // The call fails with Unavailable/DeadlineExceeded rather than run past this.
  Deadline deadline = Deadline::max();
  // Retry transient failures (connection refused or reset, 5xx, stalls) with
  // exponential backoff and jitter until the deadline. Non-idempotent calls (PATCH)
  // are retried only when the request provably never reached the service.
  bool retry = true;
};

struct ListFilter {
  // Only images updated after this second (µs since the epoch, whole seconds: the
  // API's resolution), sorted by updated_at ascending. nullopt: the whole default list.
  std::optional<int64_t> updated_after;
};

struct ImageListing {
  std::vector<wire::Image> images;
  // The service's clock when it answered (the HTTP Date header of the first page),
  // when it said; lets the caller tell which seconds are settled.
  std::optional<int64_t> server_time_us;
};

// One backup as the Block Storage v3 API shows it in detail (microversion 3.64).
struct BackupInfo {
  std::string id;
  std::optional<std::string> name;
  std::string status;    // creating, available, deleting, error, error_deleting, restoring
  std::string image_id;  // the API's volume_id
  uint64_t size_bytes = 0;         // imagefs:size_bytes (0 from a plain Cinder)
  int64_t updated_us = 0;          // updated_at, else created_at
  bool has_dependents = false;     // has_dependent_backups
  // Every scalar field of the detail view as text (null fields left out), and each
  // metadata entry as "metadata-<key>": the user.x-backup-meta-* xattrs.
  std::map<std::string, std::string> fields;
  friend bool operator==(const BackupInfo&, const BackupInfo&) = default;
};

// The id under which ReadRange reads a backup's bytes rather than an image's
// ("backup/<project>/<backup-id>"; image ids never contain '/').
std::string BackupSourceId(const std::string& project, const std::string& backup_id);
// {project, backup id} of such an id; nullopt for an image id.
std::optional<std::pair<std::string, std::string>> ParseBackupSourceId(const std::string& id);

class CatalogClient {
 public:
  virtual ~CatalogClient() = default;

  // Every image of the default list (the project's own, public, shared-and-accepted,
  // not hidden), all pages.
  virtual Result<ImageListing> ListImages(const ListFilter& filter, const CallOptions& call) = 0;

  virtual Result<wire::Image> GetImage(const std::string& id, const CallOptions& call) = 0;

  // The per-block digests of the image's data (or the backup's, for a
  // BackupSourceId), or nullopt when the service has none for it (404: a plain
  // Glance has no /blocks; an image without data).
  virtual Result<std::optional<wire::BlockMap>> GetBlockMap(const std::string& id,
                                                            const CallOptions& call) = 0;

  // Exactly bytes [offset, offset + length) of the image's data (or the backup's, for
  // a BackupSourceId). OutOfRange when the
  // range is not inside the data; FailedPrecondition when the image has no data (204).
  virtual Result<std::string> ReadRange(const std::string& id, uint64_t offset, uint64_t length,
                                        const CallOptions& call) = 0;

  // Applies a v2.1 JSON-patch (`patch_json` is the array) and returns the updated image.
  virtual Result<wire::Image> PatchImage(const std::string& id, const std::string& patch_json,
                                         const CallOptions& call) = 0;

  // The calls below serve members/ and backups/; a client without them (a test fake)
  // answers Unimplemented and those directories stay empty.

  // Images of visibility `shared` the caller owns or is a member of (any status).
  virtual Result<ImageListing> ListSharedImages(const CallOptions& call);
  virtual Result<std::vector<wire::Member>> ListMembers(const std::string& image_id,
                                                        const CallOptions& call);
  virtual Result<wire::Member> AddMember(const std::string& image_id, const std::string& member,
                                         const CallOptions& call);
  // `status`: pending, accepted or rejected.
  virtual Result<wire::Member> UpdateMember(const std::string& image_id, const std::string& member,
                                            const std::string& status, const CallOptions& call);
  virtual Status RemoveMember(const std::string& image_id, const std::string& member,
                              const CallOptions& call);

  // Backups of `project` (the caller's: the API refuses any other), all pages.
  virtual Result<std::vector<BackupInfo>> ListBackups(const std::string& project,
                                                      const CallOptions& call);
  virtual Result<BackupInfo> GetBackup(const std::string& project, const std::string& id,
                                       const CallOptions& call);
  // Starts a backup of `image_id` named `name`; returns the new backup's id.
  virtual Result<std::string> CreateBackup(const std::string& project,
                                           const std::string& image_id, const std::string& name,
                                           const CallOptions& call);
  // Starts restoring backup `id` to a new image named `name`; returns the image id.
  virtual Result<std::string> RestoreBackup(const std::string& project, const std::string& id,
                                            const std::string& name, const CallOptions& call);
  virtual Status DeleteBackup(const std::string& project, const std::string& id,
                              const CallOptions& call);
};

}  // namespace imagefs::fs
