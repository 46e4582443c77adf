// VMware VMDK: the hosted sparse extent ("KDMV") with its embedded text
// descriptor, and text-only descriptor files. Facts from VMware's "Virtual Disk
// Format 5.0" and qemu's block/vmdk.c.
//
// Glance allows only the single-file subformats (createType monolithicSparse or
// streamOptimized); every other subformat keeps data in extent files named by the
// descriptor, which a host would open. We are stricter than Glance in three ways:
// a parentFileNameHint anywhere in the descriptor is unsafe (qemu reads it as a
// backing file, even from a comment); a text descriptor file is always unsafe (it
// holds no data, only references); and a VMDK3 ("COWD") extent is refused.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "service/formats/inspectors.h"

namespace imagefs::service::formats {
namespace {

constexpr size_t kSector = 512;
constexpr size_t kSparseHeaderLength = 64;  // through gdOffset
constexpr uint64_t kGdAtEnd = ~uint64_t{0};
// qemu reads this much descriptor text at 0x200 when it looks for a parent hint.
constexpr size_t kQemuDescriptorScan = 20 * kSector;
constexpr size_t kProbeSize = 2048;  // qemu's probe buffer
constexpr uint32_t kMarkerFooter = 3;

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Like qemu's vmdk_probe: comment and blank lines, then "version=".
bool LooksLikeTextDescriptor(std::string_view head) {
  if (head.starts_with("# Disk DescriptorFile")) {
    return true;
  }
  while (!head.empty()) {
    size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    if (!line.starts_with('#') && !Trim(line).empty()) {
      return line.starts_with("version=");
    }
    if (eol == std::string_view::npos) {
      break;
    }
    head.remove_prefix(eol + 1);
  }
  return false;
}

struct DescriptorScan {
  std::string create_type;
  int extents = 0;
};

// Removes and returns the next whitespace-separated token of `s`.
std::string_view NextToken(std::string_view& s) {
  s = Trim(s);
  size_t end = std::min(s.find_first_of(" \t"), s.size());
  std::string_view token = s.substr(0, end);
  s.remove_prefix(end);
  return token;
}

// One extent line: ACCESS SECTORS TYPE "FILE" [OFFSET]. Returns why it is unsafe.
std::string CheckExtentLine(std::string_view line) {
  if (line.find('/') != std::string_view::npos) {
    return "vmdk extent names a path";
  }
  NextToken(line);  // access
  NextToken(line);  // size in sectors
  if (NextToken(line) != "sparse") {
    return "vmdk extent is not a sparse extent of this file";
  }
  return "";
}

// Returns why a descriptor line is unsafe; fills `scan`. `line` is lower-case.
std::string CheckDescriptorLine(std::string_view line, DescriptorScan& scan) {
  if (line.empty() || line.starts_with('#') || line.starts_with("ddb")) {
    return "";
  }
  size_t eq = line.find('=');
  if (eq != std::string_view::npos && line.substr(0, eq).find_first_of(" \t") == line.npos) {
    if (line.substr(0, eq) == "createtype") {
      std::string_view value = Trim(line.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      scan.create_type = std::string(value.substr(0, 64));
    }
    return "";
  }
  std::string_view words = line;
  std::string_view access = NextToken(words);
  if (access == "rw" || access == "rdonly" || access == "noaccess") {
    ++scan.extents;
    return CheckExtentLine(line);
  }
  return "invalid line in vmdk descriptor";
}

// Returns why the embedded descriptor `text` is unsafe, or "".
std::string CheckDescriptor(std::string_view text) {
  std::string lower = Lower(text.substr(0, text.find('\0')));
  if (lower.find("parentfilenamehint") != std::string::npos) {
    return "vmdk image has a parent (backing) disk";
  }
  DescriptorScan scan;
  std::string line_reason;  // the first bad line's
  std::string_view rest(lower);
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string reason = CheckDescriptorLine(Trim(rest.substr(0, eol)), scan);
    if (line_reason.empty()) {
      line_reason = std::move(reason);
    }
    rest.remove_prefix(eol == rest.npos ? rest.size() : eol + 1);
  }
  if (scan.create_type != "monolithicsparse" && scan.create_type != "streamoptimized") {
    return "vmdk create type '" + scan.create_type + "' is not allowed";
  }
  if (!line_reason.empty()) {
    return line_reason;
  }
  if (scan.extents == 0) {
    return "vmdk descriptor names no extents";
  }
  return "";
}

bool IsZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// A streamOptimized image with gdOffset == GD_AT_END keeps its authoritative
// header in a footer: [footer marker][footer header][end-of-stream marker], the
// last three sectors. Sets *footer_header, or clears it when the footer is invalid.
Status ReadFooterHeader(HeaderReader& src, ByteView header, std::string* footer_header) {
  footer_header->clear();
  if (src.size() < 4 * kSector) {
    return Status::Ok();
  }
  std::string tail;
  IMAGEFS_RETURN_IF_ERROR(src.Read(src.size() - 3 * kSector, 3 * kSector, &tail));
  ByteView footer(tail);
  bool marker_ok = footer.Has(0, 3 * kSector) && footer.Le32(8) == 0 &&
                   footer.Le32(12) == kMarkerFooter && IsZero(footer.Sub(16, kSector - 16));
  ByteView inner(footer.Sub(kSector, kSector));
  bool inner_ok = inner.StartsWith("KDMV") && inner.Le32(4) == header.Le32(4) &&
                  inner.Le64(28) == header.Le64(28) && inner.Le64(36) == header.Le64(36) &&
                  inner.Le64(56) != kGdAtEnd;
  if (marker_ok && inner_ok && IsZero(footer.Sub(2 * kSector, kSector))) {
    footer_header->assign(footer.Sub(kSector, kSector));
  }
  return Status::Ok();
}

Result<Detection> InspectSparse(HeaderReader& src, std::string header_bytes) {
  ByteView header(header_bytes);
  if (!header.Has(0, kSparseHeaderLength)) {
    return Unsafe("vmdk", "truncated vmdk header");
  }
  uint32_t version = header.Le32(4);
  if (version < 1 || version > 3) {
    return Unsafe("vmdk", "unsupported vmdk version " + std::to_string(version));
  }
  if (header.Le64(56) == kGdAtEnd) {
    std::string footer_header;
    IMAGEFS_RETURN_IF_ERROR(ReadFooterHeader(src, header, &footer_header));
    if (footer_header.empty()) {
      return Unsafe("vmdk", "vmdk footer is invalid");
    }
    header_bytes = std::move(footer_header);
    header = ByteView(header_bytes);
  }
  // Glance and qemu expect the embedded descriptor right after the header.
  if (header.Le64(28) != 1) {
    return Unsafe("vmdk", "vmdk descriptor is not embedded after the header");
  }
  uint64_t desc_sectors = std::min<uint64_t>(header.Le64(36), kMaxHeaderRead / kSector);
  size_t scan = std::max(static_cast<size_t>(desc_sectors) * kSector, kQemuDescriptorScan);
  std::string descriptor;
  IMAGEFS_RETURN_IF_ERROR(src.Read(kSector, scan, &descriptor));
  FormatInfo info;
  info.format = "vmdk";
  info.unsafe_reason = CheckDescriptor(descriptor);
  uint64_t capacity = header.Le64(12);
  if (capacity <= static_cast<uint64_t>(INT64_MAX) / kSector) {
    info.virtual_size = static_cast<int64_t>(capacity * kSector);
  } else if (info.unsafe_reason.empty()) {
    info.unsafe_reason = "vmdk capacity out of range";
  }
  return Detection(std::move(info));
}

}  // namespace

Result<Detection> InspectVmdk(HeaderReader& src) {
  std::string head;
  IMAGEFS_RETURN_IF_ERROR(src.Read(0, kProbeSize, &head));
  if (head.starts_with("KDMV")) {
    head.resize(std::min(head.size(), kSector));
    return InspectSparse(src, std::move(head));
  }
  if (head.starts_with("COWD")) {
    return Unsafe("vmdk", "VMDK3 (COWD) images are not supported");
  }
  if (LooksLikeTextDescriptor(head)) {
    return Unsafe("vmdk", "vmdk descriptor file refers to external extent files");
  }
  return Detection();
}

}  // namespace imagefs::service::formats
