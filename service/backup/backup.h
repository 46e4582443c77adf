// The backup model of imaged: a point-in-time copy of an image's bytes, kept in a
// backup store apart from the image store, described by the Block Storage v3
// backups API (spec section 4) with an image as its subject. Plain data; the
// catalog (backup_catalog.h) keeps it, the store (backup_store.h) keeps the bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace imagefs::service::backup {

// Cinder's backup statuses (spec 4.1). Deleted backups are removed, not kept.
enum class BackupStatus { kCreating, kAvailable, kDeleting, kError, kErrorDeleting, kRestoring };

std::string_view ToString(BackupStatus status);
std::optional<BackupStatus> ParseBackupStatus(std::string_view text);

// The container a backup goes to when the request names none.
inline constexpr std::string_view kDefaultContainer = "backups";

// Container names become directory names in the backup store: 1 to 255 characters
// of [A-Za-z0-9_.-], neither "." nor "..". InvalidArgument otherwise.
Status ValidateContainerName(std::string_view name);

// What a backup copied from its image's record when it was taken, so a restore
// can recreate an equivalent image.
struct ImageSnapshot {
  std::optional<std::string> name;
  std::optional<std::string> disk_format;
  std::optional<std::string> container_format;
  int64_t min_disk = 0;
  int64_t min_ram = 0;
  std::string checksum;                           // md5 hex of the bytes ("" when unknown)
  std::string os_hash_value;                      // sha512 hex of the bytes ("" when unknown)
  std::map<std::string, std::string> properties;  // the image's custom properties
  friend bool operator==(const ImageSnapshot&, const ImageSnapshot&) = default;
};

// The blocks of one backup, in image order. Block i covers bytes
// [i*block_size, min(size, (i+1)*block_size)) and digests[i] is its raw SHA-256,
// which is also its name in the backup store.
struct Manifest {
  uint64_t size = 0;
  uint32_t block_size = 0;
  std::vector<std::string> digests;

  uint64_t BlockCount() const { return block_size == 0 ? 0 : (size + block_size - 1) / block_size; }
  // Length of block i. REQUIRES: i < BlockCount().
  uint64_t BlockLength(size_t i) const;
  // InvalidArgument unless the digests are 32 bytes each and their number
  // matches size and block_size.
  Status Validate() const;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

struct Backup {
  std::string id;  // lower-case UUID
  std::string project_id;
  std::string user_id;
  std::optional<std::string> name;         // display_name
  std::optional<std::string> description;  // display_description
  BackupStatus status = BackupStatus::kCreating;
  std::optional<std::string> fail_reason;
  std::string image_id;  // the API's volume_id
  std::string container;
  std::optional<std::string> availability_zone;
  int64_t created_at = 0;  // microseconds since the epoch, UTC
  std::optional<int64_t> updated_at;
  int64_t data_timestamp = 0;
  std::optional<std::string> parent_id;  // set iff the backup is incremental
  std::map<std::string, std::string> metadata;
  ImageSnapshot image;
  uint64_t size_bytes = 0;    // exact size of the image's bytes
  uint64_t object_count = 0;  // blocks in the manifest, once the backup is complete
  uint64_t stored_bytes = 0;  // bytes of blocks this backup added to its container
  // True once the catalog's block reference counts include this backup's blocks
  // (it completed); false again from the moment its deletion starts.
  bool counted = false;
  // While restoring: the image being written, and whether the restore created it.
  std::optional<std::string> restore_image_id;
  bool restore_created_image = false;

  // Cinder's `size`: GiB, rounded up.
  uint64_t SizeGiB() const;
  bool is_incremental() const { return parent_id.has_value(); }
  friend bool operator==(const Backup&, const Backup&) = default;
};

}  // namespace imagefs::service::backup
