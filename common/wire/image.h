// The image, member and block-map model shared by imaged (service/) and the mount (fs/).
// Plain data; the JSON forms of the Images API live in common/wire/image_codec.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imagefs::wire {

// Glance's image status machine (spec 1.3).
enum class ImageStatus {
  kQueued,
  kSaving,
  kActive,
  kKilled,
  kDeleted,
  kUploading,
  kImporting,
  kPendingDelete,
  kDeactivated,
};

enum class Visibility { kPublic, kCommunity, kShared, kPrivate };

enum class MemberStatus { kPending, kAccepted, kRejected };

std::string_view ToString(ImageStatus s);
std::string_view ToString(Visibility v);
std::string_view ToString(MemberStatus s);
std::optional<ImageStatus> ParseImageStatus(std::string_view s);
std::optional<Visibility> ParseVisibility(std::string_view s);
std::optional<MemberStatus> ParseMemberStatus(std::string_view s);

// True when `from -> to` is allowed by Glance's domain model.
bool IsValidTransition(ImageStatus from, ImageStatus to);

// Allowed values of the schema enums (Glance's defaults).
bool IsKnownDiskFormat(std::string_view s);
bool IsKnownContainerFormat(std::string_view s);
const std::vector<std::string>& KnownDiskFormats();
const std::vector<std::string>& KnownContainerFormats();

// A data location (the `locations` field; used by location and import calls).
struct Location {
  std::string url;
  std::map<std::string, std::string> metadata;  // e.g. {"store": "fs"}
  friend bool operator==(const Location&, const Location&) = default;
};

struct Image {
  std::string id;                          // lower-case UUID
  std::optional<std::string> name;         // <= 255 chars
  ImageStatus status = ImageStatus::kQueued;
  Visibility visibility = Visibility::kShared;
  bool is_protected = false;
  bool os_hidden = false;
  std::optional<std::string> checksum;       // md5 hex of the data
  std::optional<std::string> os_hash_algo;   // "sha512"
  std::optional<std::string> os_hash_value;  // hex
  std::optional<std::string> owner;          // project id
  std::optional<int64_t> size;
  std::optional<int64_t> virtual_size;
  int64_t min_disk = 0;  // GB
  int64_t min_ram = 0;   // MB
  std::optional<std::string> container_format;
  std::optional<std::string> disk_format;
  int64_t created_at = 0;  // microseconds since the epoch, UTC
  int64_t updated_at = 0;
  std::optional<int64_t> deleted_at;
  std::vector<std::string> tags;                  // a set; insertion order kept
  std::map<std::string, std::string> properties;  // custom properties (incl. os_glance_*)
  std::vector<Location> locations;                // data locations (rendered only if enabled)
  std::vector<std::string> stores;                // store ids holding the data

  // imagefs extension: the data was hashed in blocks of this many bytes when it was
  // uploaded (see BlockMap). 0 when the image has no data.
  uint32_t block_size = 0;

  bool HasTag(std::string_view tag) const;
  // The content key: identifies these exact bytes (os_hash_value, or checksum).
  std::string ContentKey() const;

  friend bool operator==(const Image&, const Image&) = default;
};

struct Member {
  std::string image_id;
  std::string member_id;  // project id
  MemberStatus status = MemberStatus::kPending;
  bool can_share = false;  // v1 only
  int64_t created_at = 0;
  int64_t updated_at = 0;
  friend bool operator==(const Member&, const Member&) = default;
};

// The per-block digests of one image's data, computed by imaged at upload
// (imagefs extension, GET /v2/images/{id}/blocks). Block i covers bytes
// [i*block_size, min(size, (i+1)*block_size)); digests[i] is its raw SHA-256, the
// block's identity; crc32c[i], when known, its CRC-32C, the cheap check of a copy of
// bytes already known to match digests[i] (the backup job checks its staged copies
// by it).
struct BlockMap {
  std::string image_id;
  std::string content_key;  // Image::ContentKey() of the data it describes
  uint64_t size = 0;
  uint32_t block_size = 0;
  std::string algorithm = "sha256";
  std::vector<std::string> digests;  // raw 32-byte digests
  std::vector<uint32_t> crc32c;  // per block; empty when unknown (maps recorded before it existed)

  uint64_t BlockCount() const {
    return block_size == 0 ? 0 : (size + block_size - 1) / block_size;
  }
  friend bool operator==(const BlockMap&, const BlockMap&) = default;
};

// Default block size for digests and for the mount's cache: 1 MiB.
inline constexpr uint32_t kDefaultBlockSize = 1u << 20;

}  // namespace imagefs::wire
