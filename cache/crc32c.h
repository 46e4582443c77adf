// CRC-32C (Castagnoli), the check of blocks already verified once: a block's bytes are
// checked against imaged's SHA-256 digest before they are stored, and the cache keeps
// their CRC-32C in its index, so re-reading the block after a restart costs a CRC
// (hardware, several GB/s) rather than a SHA-256. It guards against damage on disk
// (bit flips, truncation, holes), not against someone forging the cache directory, who
// could as well rewrite the digests the mount persists beside it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace imagefs::cache {

// CRC-32C of `n` bytes (initial value ~0, final xor ~0, as iSCSI and ext4). Uses the
// SSE4.2 crc32 instruction where the CPU has it, else a table.
uint32_t Crc32c(const void* data, size_t n);

}  // namespace imagefs::cache
