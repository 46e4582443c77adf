// CRC-32C (Castagnoli), the cheap check of bytes already verified once against their
// SHA-256: imaged records it per block at upload beside the block's digest, so a backup
// can check its staged copy of a block for a CRC rather than a SHA-256; the mount's block
// cache keeps it in its index, so re-reading a block after a restart costs a CRC
// (hardware, several GB/s). It guards against damage (bit flips, truncation, holes), not
// against forgery: the SHA-256 stays the block's identity.
#pragma once

#include <cstddef>
#include <cstdint>

namespace imagefs {

// CRC-32C of `n` bytes (initial value ~0, final xor ~0, as iSCSI and ext4). Uses the
// SSE4.2 crc32 instruction where the CPU has it, else a table.
uint32_t Crc32c(const void* data, size_t n);

}  // namespace imagefs
