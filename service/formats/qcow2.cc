// qcow2 (and its QED relative):
// https://gitlab.com/qemu-project/qemu/-/blob/master/docs/interop/qcow2.txt
#include <cstdint>

#include "service/formats/inspectors.h"

namespace imagefs::service::formats {
namespace {

constexpr std::string_view kQcowMagic("QFI\xfb", 4);
constexpr std::string_view kQedMagic("QED\0", 4);
constexpr size_t kV2HeaderLength = 72;
constexpr size_t kV3HeaderLength = 104;
constexpr size_t kBackingFileOffset = 8;
constexpr size_t kSizeOffset = 24;
constexpr size_t kIncompatibleFeaturesOffset = 72;

// Incompatible feature bits qemu defines: dirty (0), corrupt (1), external data
// file (2), compression type (3), extended L2 entries (4). Glance's inspector
// accepts only bits 0-3; we also accept bit 4, which qemu documents and handles
// safely, and refuse every bit qemu does not know.
constexpr uint64_t kKnownIncompatibleFeatures = 0x1f;
constexpr uint64_t kExternalDataFileBit = uint64_t{1} << 2;

std::string CheckV3Features(uint64_t features) {
  if ((features & kExternalDataFileBit) != 0) {
    return "qcow2 image has an external data file";
  }
  if ((features & ~kKnownIncompatibleFeatures) != 0) {
    return "qcow2 image has unknown incompatible features";
  }
  return "";
}

}  // namespace

Result<Detection> InspectQcow2(HeaderReader& src) {
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(src.Read(0, kV3HeaderLength, &bytes));
  ByteView header(bytes);
  if (!header.StartsWith(kQcowMagic)) {
    return Detection();
  }
  if (!header.Has(0, kV2HeaderLength)) {
    return Unsafe("qcow2", "truncated qcow2 header");
  }
  uint32_t version = header.Be32(4);
  if (version != 2 && version != 3) {
    // Version 1 ("qcow") has backing files too and no safety checks of ours.
    return Unsafe("qcow2", "unsupported qcow2 version " + std::to_string(version));
  }
  if (version == 3 && !header.Has(0, kV3HeaderLength)) {
    return Unsafe("qcow2", "truncated qcow2 header");
  }
  FormatInfo info;
  info.format = "qcow2";
  info.virtual_size = SizeFromHeader(header.Be64(kSizeOffset));
  if (!info.virtual_size) {
    info.unsafe_reason = "qcow2 virtual size out of range";
  } else if (header.Be64(kBackingFileOffset) != 0) {
    info.unsafe_reason = "qcow2 image has a backing file";
  } else if (version == 3) {
    info.unsafe_reason = CheckV3Features(header.Be64(kIncompatibleFeaturesOffset));
  }
  return Detection(std::move(info));
}

Result<Detection> InspectQed(HeaderReader& src) {
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(src.Read(0, kQedMagic.size(), &bytes));
  if (bytes != kQedMagic) {
    return Detection();
  }
  // Glance bans QED outright: nothing uses it, and it can name a backing file.
  return Unsafe("qed", "qed images are not allowed");
}

}  // namespace imagefs::service::formats
