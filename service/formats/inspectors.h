// The per-format detectors behind InspectFormat(). Internal to service/formats.
//
// Each one returns nullopt when the data is not in its format. Otherwise it
// returns a FormatInfo naming the format, with the virtual size when the header
// gives one, and with unsafe_reason set when the header is recognised but is
// truncated, malformed, or fails a safety check (backing files, external
// extents, parents). Each reads a bounded number of bytes at fixed offsets and
// errors only when reading the data fails.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "service/formats/format_inspector.h"
#include "service/formats/header_reader.h"

namespace imagefs::service::formats {

using Detection = std::optional<FormatInfo>;

Result<Detection> InspectQcow2(HeaderReader& src);
Result<Detection> InspectQed(HeaderReader& src);
Result<Detection> InspectVmdk(HeaderReader& src);
Result<Detection> InspectVhd(HeaderReader& src);
Result<Detection> InspectVhdx(HeaderReader& src);
Result<Detection> InspectVdi(HeaderReader& src);
Result<Detection> InspectIso(HeaderReader& src);

// A recognised `format` that must be refused because of `reason`.
inline Detection Unsafe(std::string format, std::string reason) {
  FormatInfo info;
  info.format = std::move(format);
  info.unsafe_reason = std::move(reason);
  return info;
}

// A virtual size from a header, or nullopt when it does not fit in int64_t.
inline std::optional<int64_t> SizeFromHeader(uint64_t bytes) {
  if (bytes > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(bytes);
}

}  // namespace imagefs::service::formats
