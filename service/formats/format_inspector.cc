#include "service/formats/format_inspector.h"

#include <array>
#include <string>
#include <vector>

#include "service/formats/header_reader.h"
#include "service/formats/inspectors.h"

namespace imagefs::service {
namespace {

using formats::Detection;
using formats::HeaderReader;

// In order of precedence when data matches more than one format (which is then
// refused anyway, as Glance refuses it: one header hidden in another).
constexpr std::array<Result<Detection> (*)(HeaderReader&), 7> kInspectors = {
    formats::InspectQcow2, formats::InspectQed, formats::InspectVhdx, formats::InspectVmdk,
    formats::InspectVdi,   formats::InspectVhd, formats::InspectIso,
};

// Disk formats whose data we can recognise; for these the data must match.
bool IsInspectable(std::string_view disk_format) {
  return disk_format == "qcow2" || disk_format == "vmdk" || disk_format == "vhd" ||
         disk_format == "vhdx" || disk_format == "vdi" || disk_format == "iso" ||
         disk_format == "qed";
}

FormatInfo Raw(uint64_t size) {
  FormatInfo info;
  info.format = "raw";
  info.virtual_size = formats::SizeFromHeader(size);
  return info;
}

std::optional<int64_t> DataSize(const RangeReader& data) {
  if (data.size() == 0) {
    return std::nullopt;
  }
  return formats::SizeFromHeader(data.size());
}

}  // namespace

Result<FormatInfo> InspectFormat(RangeReader& data) {
  HeaderReader src(data);
  std::vector<FormatInfo> matches;
  for (auto* inspect : kInspectors) {
    IMAGEFS_ASSIGN_OR_RETURN(Detection found, inspect(src));
    if (found) {
      matches.push_back(std::move(*found));
    }
  }
  if (matches.empty()) {
    return Raw(data.size());
  }
  std::string names;
  for (const FormatInfo& m : matches) {
    names += (names.empty() ? "" : ", ") + m.format;
  }
  FormatInfo info = std::move(matches.front());
  if (matches.size() > 1) {
    info.unsafe_reason = "data matches several formats: " + names;
  }
  return info;
}

// The upload rules of Glance's ImageProxy.set_data() (glance/location.py) with
// [image_format] require_image_format_match = true, which Glance added in
// 2024.2 (commit 7c748d38, "Make glance able to require disk_format match") on top
// of the 2024 format-inspector security fixes (CVE-2024-32498). Zed itself only
// computed virtual_size and refused nothing. In that code:
//   - the detected format equals disk_format: accepted, header virtual size;
//   - disk_format raw: any detected format is accepted ("we can't inspect it")
//     with the data size as virtual size, BUT the detected format's safety check
//     still runs, so a qcow2 with a backing file or a multi-file vmdk labelled raw
//     is refused, while a safe qcow2 labelled raw is accepted;
//   - disk_format not inspectable (ami, ari, aki, ploop, ...): accepted only when
//     nothing is recognised, without a virtual size;
//   - anything else is a mismatch: refused (HTTP 415), including raw data
//     labelled iso and a zero-byte upload labelled qcow2;
//   - data matching several formats is refused (Glance allows only iso+gpt,
//     and we do not detect gpt).
Result<std::optional<int64_t>> CheckUpload(std::string_view disk_format,
                                           std::string_view container_format, RangeReader& data) {
  if (!container_format.empty() && container_format != "bare") {
    return std::optional<int64_t>();
  }
  IMAGEFS_ASSIGN_OR_RETURN(FormatInfo info, InspectFormat(data));
  bool matches = info.format == disk_format;
  bool accepted =
      matches || disk_format == "raw" || (info.format == "raw" && !IsInspectable(disk_format));
  if (!accepted) {
    return UnsupportedMedia("Image data does not match disk_format " + std::string(disk_format) +
                            " (detected " + info.format + ")");
  }
  if (!info.unsafe_reason.empty()) {
    return UnsupportedMedia("Image data failed safety checks: " + info.unsafe_reason);
  }
  if (info.format == "raw" || disk_format == "raw") {
    return disk_format == "raw" ? DataSize(data) : std::nullopt;
  }
  return info.virtual_size;
}

}  // namespace imagefs::service
