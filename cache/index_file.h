// The persisted index (<dir>/v1/index): which blocks of which versions the cache held,
// least recently used first, so a restart keeps the LRU order. It is a hint, never
// trusted: the data files are the truth (see DiskBlockCache), and a file that fails
// any check here is discarded as a whole.
//
// Format 3, integers little-endian:
//   "IMGFSIDX"                        8-byte magic
//   u32 format                        3
//   u32 V, then V x { u16 n, n bytes, u8 sealed, sealed x { u64 ino, u64 size,
//                     i64 ctime_ns, i64 mtime_ns } }
//                                     version stems (VersionName::Stem), each with the
//                                     stamp (block_file.h) its data file had when the
//                                     cache closed it cleanly, if it did
//   u64 B, then B x { u32 v, u64 index, u64 check }
//                                     blocks, least recently used first; check is
//                                     2^32 | CRC-32C of the block's verified bytes, or 0
//                                     when unknown (see common/crc32c.h), plus 2^33 if
//                                     the block was verified when its version was sealed
//   32 bytes                          SHA-256 of everything before
// Format 2 is format 3 without seals and verified bits, and still read. A reader
// that meets another format number discards the file (the cache then rebuilds from
// its data files), so the format can change without a migration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/block_file.h"
#include "cache/version_name.h"
#include "common/result.h"

namespace imagefs::cache {

inline constexpr uint32_t kIndexFormat = 3;

struct IndexSnapshot {
  std::vector<VersionName> versions;
  // (position in `versions`, block index), least recently used first.
  std::vector<std::pair<uint32_t, uint64_t>> blocks;
  // Per entry of `blocks`, its check (2^32 | CRC-32C, or 0: unknown), with
  // kVerifiedUnderSeal where it applies; empty: all unknown.
  std::vector<uint64_t> checks;
  // Per entry of `versions`, the stamp its data file had when sealed; empty: none.
  std::vector<std::optional<FileStamp>> seals;
};

// The check of a block whose bytes have the CRC-32C `crc` (never 0).
inline uint64_t BlockCheck(uint32_t crc) { return (uint64_t{1} << 32) | crc; }
// Set in a check: the block had been verified when its version's file was sealed.
inline constexpr uint64_t kVerifiedUnderSeal = uint64_t{1} << 33;

std::string EncodeIndex(const IndexSnapshot& snapshot);

// DataLoss for anything EncodeIndex could not have written: bad magic, other format,
// truncation, checksum mismatch, unparsable stem, version or block out of range.
Result<IndexSnapshot> DecodeIndex(std::string_view bytes);

}  // namespace imagefs::cache
