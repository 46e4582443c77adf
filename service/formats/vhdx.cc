// Microsoft VHDX: "vhdxfile" at 0, a region table at 192 KiB (a copy at 256 KiB)
// that locates the metadata region, whose table locates the Virtual Disk Size item.
// All little-endian; GUIDs in Microsoft's mixed-endian layout. Facts from
// [MS-VHDX] sections 2.2-2.6 and qemu's block/vhdx.c.
#include <cstdint>
#include <optional>
#include <string>

#include "service/formats/inspectors.h"

namespace imagefs::service::formats {
namespace {

constexpr uint64_t kRegionTableOffsets[] = {192 * 1024, 256 * 1024};
constexpr size_t kTableHeaderSize = 16;  // region table: "regi", checksum, count, reserved
constexpr size_t kEntrySize = 32;
constexpr uint32_t kMaxEntries = 2047;
constexpr size_t kMetadataHeaderSize = 32;  // "metadata", reserved, count, reserved
constexpr uint64_t kFileParametersHasParent = 2;

const GuidBytes& MetadataRegionGuid() {
  static const GuidBytes guid = ParseGuid("8B7CA206-4790-4B9A-B8FE-575F050F886E");
  return guid;
}
const GuidBytes& VirtualDiskSizeGuid() {
  static const GuidBytes guid = ParseGuid("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
  return guid;
}
const GuidBytes& FileParametersGuid() {
  static const GuidBytes guid = ParseGuid("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
  return guid;
}
const GuidBytes& ParentLocatorGuid() {
  static const GuidBytes guid = ParseGuid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
  return guid;
}

bool GuidAt(ByteView table, size_t offset, const GuidBytes& guid) {
  return table.Equals(offset, std::string_view(guid.data(), guid.size()));
}

// Returns the file offset of the metadata region from the region table at
// `table_offset`, or nullopt when that table is missing or malformed.
Result<std::optional<uint64_t>> FindMetadataRegion(HeaderReader& src, uint64_t table_offset) {
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(
      src.Read(table_offset, kTableHeaderSize + kMaxEntries * kEntrySize, &bytes));
  ByteView table(bytes);
  uint32_t count = table.Le32(8);
  if (!table.Equals(0, "regi") || count > kMaxEntries ||
      !table.Has(kTableHeaderSize, size_t{count} * kEntrySize)) {
    return std::optional<uint64_t>();
  }
  for (uint32_t i = 0; i < count; ++i) {
    size_t entry = kTableHeaderSize + i * kEntrySize;
    if (GuidAt(table, entry, MetadataRegionGuid())) {
      return std::optional<uint64_t>(table.Le64(entry + 16));
    }
  }
  return std::optional<uint64_t>();
}

// Reads the 8-byte metadata item at `item_offset` within the region at `region`.
Result<std::optional<uint64_t>> ReadItemU64(HeaderReader& src, uint64_t region,
                                            uint32_t item_offset) {
  if (region > UINT64_MAX - item_offset) {
    return std::optional<uint64_t>();
  }
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(src.Read(region + item_offset, 8, &bytes));
  ByteView item(bytes);
  if (!item.Has(0, 8)) {
    return std::optional<uint64_t>();
  }
  return std::optional<uint64_t>(item.Le64(0));
}

// Reads the metadata table at `region` and fills `info` from its items.
Status ReadMetadata(HeaderReader& src, uint64_t region, FormatInfo& info) {
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(src.Read(region, kMetadataHeaderSize + kMaxEntries * kEntrySize, &bytes));
  ByteView table(bytes);
  uint16_t count = table.Le16(10);
  if (!table.Equals(0, "metadata") || count > kMaxEntries ||
      !table.Has(kMetadataHeaderSize, size_t{count} * kEntrySize)) {
    info.unsafe_reason = "vhdx metadata table is invalid";
    return Status::Ok();
  }
  for (uint16_t i = 0; i < count; ++i) {
    size_t entry = kMetadataHeaderSize + i * kEntrySize;
    uint32_t offset = table.Le32(entry + 16);
    if (GuidAt(table, entry, ParentLocatorGuid())) {
      info.unsafe_reason = "vhdx image is a differencing disk (has a parent)";
    } else if (GuidAt(table, entry, FileParametersGuid())) {
      IMAGEFS_ASSIGN_OR_RETURN(std::optional<uint64_t> params, ReadItemU64(src, region, offset));
      if (params && ((*params >> 32) & kFileParametersHasParent) != 0) {
        info.unsafe_reason = "vhdx image is a differencing disk (has a parent)";
      }
    } else if (GuidAt(table, entry, VirtualDiskSizeGuid())) {
      IMAGEFS_ASSIGN_OR_RETURN(std::optional<uint64_t> size, ReadItemU64(src, region, offset));
      info.virtual_size = size ? SizeFromHeader(*size) : std::nullopt;
    }
  }
  if (!info.virtual_size && info.unsafe_reason.empty()) {
    info.unsafe_reason = "vhdx virtual disk size is missing or invalid";
  }
  return Status::Ok();
}

}  // namespace

Result<Detection> InspectVhdx(HeaderReader& src) {
  std::string ident;
  IMAGEFS_RETURN_IF_ERROR(src.Read(0, 8, &ident));
  if (ident != "vhdxfile") {
    return Detection();
  }
  std::optional<uint64_t> region;
  for (uint64_t table_offset : kRegionTableOffsets) {
    IMAGEFS_ASSIGN_OR_RETURN(region, FindMetadataRegion(src, table_offset));
    if (region) {
      break;
    }
  }
  if (!region) {
    return Unsafe("vhdx", "vhdx region table has no metadata region");
  }
  FormatInfo info;
  info.format = "vhdx";
  IMAGEFS_RETURN_IF_ERROR(ReadMetadata(src, *region, info));
  return Detection(std::move(info));
}

}  // namespace imagefs::service::formats
