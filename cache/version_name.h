// Names of the cache's data files. One data file holds one image version; its name
// says everything needed to use it without the index:
//
//   <image>.<key>.<size>.<block_size>.data
//
//   image       the image id when it is 1..64 of [A-Za-z0-9-] (a UUID), otherwise "_"
//               followed by the first 32 hex digits of SHA-256(image id);
//   key         the first 32 lower-case hex digits of the content key when it is hex
//               of at least that length (os_hash_value is), else of SHA-256(content key);
//   size        image size in bytes, decimal;
//   block_size  bytes per block, decimal.
//
// So a version's data file is found again after a restart with a lost index, and two
// layouts that differ in any field never share a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cache/block_cache.h"

namespace imagefs::cache {

// Bounds that every name (and so every layout the cache accepts) satisfies.
inline constexpr uint64_t kMaxImageSize = uint64_t{1} << 56;   // 64 PiB
inline constexpr uint32_t kMaxBlockSize = uint32_t{64} << 20;  // 64 MiB
inline constexpr std::string_view kDataSuffix = ".data";

struct VersionName {
  std::string image;  // sanitized image part
  std::string key;    // 32 hex digits
  uint64_t size = 0;
  uint32_t block_size = 0;

  // "<image>.<key>.<size>.<block_size>", the in-memory key of a version.
  std::string Stem() const;
  // Stem() + ".data".
  std::string FileName() const { return Stem() + std::string(kDataSuffix); }

  uint64_t BlockCount() const { return (size + block_size - 1) / block_size; }
  uint32_t BlockLength(uint64_t index) const;

  friend bool operator==(const VersionName&, const VersionName&) = default;
};

// The name of `layout`'s data file. REQUIRES: layout passed ValidateLayout().
VersionName NameOf(const ImageLayout& layout);

// Parses a stem or a file name (with ".data"); nullopt for anything that NameOf could
// not have produced (wrong shape, bad characters, zero or too-large sizes).
std::optional<VersionName> ParseVersionName(std::string_view name);

// OK if the cache can serve `layout`: block_size in [1, kMaxBlockSize], size at most
// kMaxImageSize, non-empty image id and content key, one digest per block. O(1): the
// digests themselves are checked one by one, with HasValidDigest.
Status ValidateLayout(const ImageLayout& layout);

// True if digest `index` is 32 bytes (a raw SHA-256). REQUIRES: ValidateLayout() is OK.
bool HasValidDigest(const ImageLayout& layout, uint64_t index);

}  // namespace imagefs::cache
