// Microsoft VHD (qemu's "vpc"): a 512-byte big-endian footer with the cookie
// "conectix". Dynamic disks keep a copy of it at offset 0; fixed disks have it only
// in the last 512 bytes. Facts from the VHD specification and qemu's block/vpc.c.
#include <cstdint>
#include <string>

#include "service/formats/inspectors.h"

namespace imagefs::service::formats {
namespace {

constexpr size_t kFooterSize = 512;
constexpr std::string_view kCookie = "conectix";
constexpr size_t kCreatorAppOffset = 28;
constexpr size_t kCurrentSizeOffset = 48;
constexpr size_t kGeometryOffset = 56;  // cylinders (be16), heads (u8), sectors (u8)
constexpr size_t kDiskTypeOffset = 60;
constexpr uint32_t kFixed = 2;
constexpr uint32_t kDynamic = 3;
constexpr uint32_t kDifferencing = 4;
constexpr uint64_t kMaxGeometrySectors = uint64_t{65535} * 16 * 255;

// The size qemu reports: Virtual PC and old qemu size a disk by its CHS geometry,
// everyone else by current_size (qemu's vpc_ignore_current_size()); a maximal
// geometry means the disk is larger than CHS can say, so current_size wins.
uint64_t VirtualSize(ByteView footer) {
  uint64_t chs_sectors = uint64_t{footer.Be16(kGeometryOffset)} * footer.U8(kGeometryOffset + 2) *
                         footer.U8(kGeometryOffset + 3);
  std::string_view creator = footer.Sub(kCreatorAppOffset, 4);
  bool use_chs = creator == "vpc " || creator == "qemu";
  if (use_chs && chs_sectors != kMaxGeometrySectors) {
    return chs_sectors * 512;
  }
  return footer.Be64(kCurrentSizeOffset);
}

Detection FromFooter(ByteView footer, bool at_end) {
  if (!footer.Has(0, kFooterSize)) {
    return Unsafe("vhd", "truncated vhd footer");
  }
  uint32_t type = footer.Be32(kDiskTypeOffset);
  if (type == kDifferencing) {
    return Unsafe("vhd", "vhd image is a differencing disk (has a parent)");
  }
  if (type != kFixed && type != kDynamic) {
    return Unsafe("vhd", "unknown vhd disk type " + std::to_string(type));
  }
  if (at_end && type != kFixed) {
    return Unsafe("vhd", "vhd footer at the end of the data is not a fixed disk's");
  }
  FormatInfo info;
  info.format = "vhd";
  info.virtual_size = SizeFromHeader(VirtualSize(footer));
  if (!info.virtual_size) {
    info.unsafe_reason = "vhd virtual size out of range";
  }
  return info;
}

}  // namespace

Result<Detection> InspectVhd(HeaderReader& src) {
  std::string footer;
  IMAGEFS_RETURN_IF_ERROR(src.Read(0, kFooterSize, &footer));
  bool at_end = false;
  if (!footer.starts_with(kCookie)) {
    if (src.size() < kFooterSize) {
      return Detection();
    }
    IMAGEFS_RETURN_IF_ERROR(src.Read(src.size() - kFooterSize, kFooterSize, &footer));
    if (!footer.starts_with(kCookie)) {
      return Detection();
    }
    at_end = true;
  }
  return FromFooter(ByteView(footer), at_end);
}

}  // namespace imagefs::service::formats
