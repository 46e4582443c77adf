// The persisted index (<dir>/v1/index): which blocks of which versions the cache held,
// least recently used first, so a restart keeps the LRU order. It is a hint, never
// trusted: the data files are the truth (see DiskBlockCache), and a file that fails
// any check here is discarded as a whole.
//
// Format 2, integers little-endian:
//   "IMGFSIDX"                        8-byte magic
//   u32 format                        2
//   u32 V, then V x { u16 n, n bytes }      version stems (VersionName::Stem)
//   u64 B, then B x { u32 v, u64 index, u64 check }
//                                     blocks, least recently used first; check is
//                                     2^32 | CRC-32C of the block's verified bytes, or 0
//                                     when unknown (see common/crc32c.h)
//   32 bytes                          SHA-256 of everything before
// A reader that meets another format number discards the file (the cache then
// rebuilds from its data files), so the format can change without a migration.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/version_name.h"
#include "common/result.h"

namespace imagefs::cache {

inline constexpr uint32_t kIndexFormat = 2;

struct IndexSnapshot {
  std::vector<VersionName> versions;
  // (position in `versions`, block index), least recently used first.
  std::vector<std::pair<uint32_t, uint64_t>> blocks;
  // Per entry of `blocks`, its check (2^32 | CRC-32C, or 0: unknown); empty: all unknown.
  std::vector<uint64_t> checks;
};

// The check of a block whose bytes have the CRC-32C `crc` (never 0).
inline uint64_t BlockCheck(uint32_t crc) { return (uint64_t{1} << 32) | crc; }

std::string EncodeIndex(const IndexSnapshot& snapshot);

// DataLoss for anything EncodeIndex could not have written: bad magic, other format,
// truncation, checksum mismatch, unparsable stem, version or block out of range.
Result<IndexSnapshot> DecodeIndex(std::string_view bytes);

}  // namespace imagefs::cache
