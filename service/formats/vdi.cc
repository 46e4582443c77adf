// VirtualBox VDI: a little-endian header with the signature 0xbeda107f at 0x40.
// Facts from VirtualBox's VDICore.h and qemu's block/vdi.c (which reads only
// header version 1.1, dynamic or static images).
#include <cstdint>
#include <string>

#include "service/formats/inspectors.h"

namespace imagefs::service::formats {
namespace {

constexpr size_t kSignatureOffset = 0x40;
constexpr uint32_t kSignature = 0xbeda107f;
constexpr size_t kVersionOffset = 0x44;
constexpr uint32_t kVersion11 = 0x00010001;
constexpr size_t kImageTypeOffset = 0x4c;
constexpr uint32_t kTypeDynamic = 1;
constexpr uint32_t kTypeStatic = 2;
constexpr uint32_t kTypeDiff = 4;
constexpr size_t kDiskSizeOffset = 0x170;
constexpr size_t kHeaderLength = 0x178;

}  // namespace

Result<Detection> InspectVdi(HeaderReader& src) {
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(src.Read(0, kHeaderLength, &bytes));
  ByteView header(bytes);
  if (!header.Has(kSignatureOffset, 4) || header.Le32(kSignatureOffset) != kSignature) {
    return Detection();
  }
  if (!header.Has(0, kHeaderLength)) {
    return Unsafe("vdi", "truncated vdi header");
  }
  if (header.Le32(kVersionOffset) != kVersion11) {
    return Unsafe("vdi", "unsupported vdi header version");
  }
  uint32_t type = header.Le32(kImageTypeOffset);
  if (type == kTypeDiff) {
    return Unsafe("vdi", "vdi image is a differencing image (has a parent)");
  }
  if (type != kTypeDynamic && type != kTypeStatic) {
    return Unsafe("vdi", "unsupported vdi image type " + std::to_string(type));
  }
  FormatInfo info;
  info.format = "vdi";
  info.virtual_size = SizeFromHeader(header.Le64(kDiskSizeOffset));
  if (!info.virtual_size) {
    info.unsafe_reason = "vdi virtual size out of range";
  }
  return Detection(std::move(info));
}

}  // namespace imagefs::service::formats
