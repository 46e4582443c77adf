// Disk-format inspection: which format a run of bytes is, and its virtual size, read
// from the format's own header (qcow2, vmdk, vhd, vhdx, vdi, iso; anything else is
// raw). Mirrors Glance's format_inspector: an upload whose bytes do not match its
// declared disk_format, or that fails a safety check, is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/range_reader.h"
#include "common/result.h"

namespace imagefs::service {

struct FormatInfo {
  // "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso" or "raw"; also "qed", which is
  // recognised only to be refused (always unsafe, as in Glance).
  std::string format;
  // Virtual disk size in bytes from the header; for raw, the data size.
  std::optional<int64_t> virtual_size;
  // Set when a safety check failed (qcow2 backing file or external data file, vmdk
  // descriptor naming extents outside the file, ...): why.
  std::string unsafe_reason;
};

// Detects the format of `data`. Reads only headers (a few KiB at known offsets, and
// the last 512 bytes for vhd). Errors only when reading fails.
Result<FormatInfo> InspectFormat(RangeReader& data);

// Applies Glance's upload rules. For container_format "bare" (or unset) and an
// inspectable disk_format: UnsupportedMedia when the detected format differs from
// `disk_format` (raw accepts anything that is not unsafe; iso data must be
// recognised as iso, as in Glance) or is unsafe. Other disk formats (ami, ...)
// accept only data recognised as raw. Details in format_inspector.cc.
// Returns the virtual size to record: the header's for a matching format, the size
// for raw, nullopt for a zero-byte image or a non-bare container.
Result<std::optional<int64_t>> CheckUpload(std::string_view disk_format,
                                           std::string_view container_format,
                                           RangeReader& data);

}  // namespace imagefs::service
