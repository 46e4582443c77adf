// ISO 9660 (and UDF) optical-disc images: a volume descriptor set from sector 16
// (2048-byte sectors, byte 0x8000). The primary volume descriptor (type 1,
// "CD001") gives the volume space size (LE u32 at +80) in logical blocks (LE u16
// at +128). A UDF disc starts its recognition sequence there instead ("BEA01",
// "NSR02"/"NSR03", "TEA01"). ISO has no safety checks: qemu reads it as raw.
#include <cstdint>
#include <string>

#include "service/formats/inspectors.h"

namespace imagefs::service::formats {
namespace {

constexpr uint64_t kDescriptorsOffset = 16 * 2048;
constexpr size_t kDescriptorSize = 2048;
constexpr size_t kMaxDescriptors = 16;
constexpr uint8_t kPrimaryVolume = 1;
constexpr uint8_t kTerminator = 255;

bool IsIdentifier(std::string_view id) {
  return id == "CD001" || id == "BEA01" || id == "NSR02" || id == "NSR03" || id == "TEA01";
}

// The size the primary volume descriptor `pvd` declares, if it is plausible.
std::optional<int64_t> VolumeSize(ByteView pvd) {
  if (!pvd.Has(128, 2)) {
    return std::nullopt;
  }
  uint64_t blocks = pvd.Le32(80);
  uint64_t block_size = pvd.Le16(128);
  bool power_of_two = block_size != 0 && (block_size & (block_size - 1)) == 0;
  if (!power_of_two || block_size < 512 || block_size > kDescriptorSize) {
    return std::nullopt;
  }
  return static_cast<int64_t>(blocks * block_size);
}

}  // namespace

Result<Detection> InspectIso(HeaderReader& src) {
  std::string bytes;
  IMAGEFS_RETURN_IF_ERROR(src.Read(kDescriptorsOffset, kMaxDescriptors * kDescriptorSize, &bytes));
  ByteView descriptors(bytes);
  bool recognised = false;
  FormatInfo info;
  info.format = "iso";
  for (size_t i = 0; i < kMaxDescriptors; ++i) {
    ByteView d(descriptors.Sub(i * kDescriptorSize, kDescriptorSize));
    if (!d.Has(0, 6) || !IsIdentifier(d.Sub(1, 5))) {
      break;
    }
    recognised = true;
    if (d.U8(0) == kPrimaryVolume && d.Equals(1, "CD001") && !info.virtual_size) {
      info.virtual_size = VolumeSize(d);
    }
    if (d.U8(0) == kTerminator && d.Equals(1, "CD001")) {
      break;
    }
  }
  if (!recognised) {
    return Detection();
  }
  return Detection(std::move(info));
}

}  // namespace imagefs::service::formats
