#include "tests/unit/service/formats/test_images.h"

#include <algorithm>
#include <cstring>

namespace imagefs::service::testing {

Result<size_t> StringReader::ReadAt(uint64_t offset, void* buf, size_t n) {
  ++reads_;
  if (offset >= size_) {
    return size_t{0};
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  auto* out = static_cast<char*>(buf);
  std::memset(out, 0, n);
  if (offset < bytes_.size()) {
    size_t have = static_cast<size_t>(std::min<uint64_t>(n, bytes_.size() - offset));
    std::memcpy(out, bytes_.data() + offset, have);
  }
  bytes_read_ += n;
  return n;
}

void PutLe(std::string& s, size_t offset, uint64_t v, int bytes) {
  if (s.size() < offset + bytes) s.resize(offset + bytes);
  for (int i = 0; i < bytes; ++i) s[offset + i] = static_cast<char>(v >> (8 * i));
}

void PutBe(std::string& s, size_t offset, uint64_t v, int bytes) {
  if (s.size() < offset + bytes) s.resize(offset + bytes);
  for (int i = 0; i < bytes; ++i) s[offset + i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
}

void PutBytes(std::string& s, size_t offset, std::string_view bytes) {
  if (s.size() < offset + bytes.size()) s.resize(offset + bytes.size());
  std::memcpy(s.data() + offset, bytes.data(), bytes.size());
}

std::string Qcow2Header(uint32_t version, uint64_t size, uint64_t backing_offset,
                        uint64_t incompatible_features) {
  std::string h(512, '\0');
  PutBytes(h, 0, std::string_view("QFI\xfb", 4));
  PutBe(h, 4, version, 4);
  PutBe(h, 8, backing_offset, 8);
  PutBe(h, 20, 16, 4);  // cluster_bits
  PutBe(h, 24, size, 8);
  if (version == 3) {
    PutBe(h, 72, incompatible_features, 8);
    PutBe(h, 100, 104, 4);  // header_length
  }
  return h;
}

std::string VmdkDescriptor(std::string_view create_type, std::string_view extent_line) {
  std::string d = "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n";
  d += "createType=\"" + std::string(create_type) + "\"\n\n# Extent description\n";
  d += std::string(extent_line) + "\n\n# The Disk Data Base\n#DDB\n\n";
  d += "ddb.virtualHWVersion = \"4\"\nddb.adapterType = \"ide\"\n";
  return d;
}

namespace {

std::string VmdkHeader(uint32_t version, uint64_t capacity, uint64_t gd_offset) {
  std::string h(512, '\0');
  PutBytes(h, 0, "KDMV");
  PutLe(h, 4, version, 4);
  PutLe(h, 8, 3, 4);  // flags
  PutLe(h, 12, capacity, 8);
  PutLe(h, 20, 128, 8);  // grain size in sectors
  PutLe(h, 28, 1, 8);    // descriptor at sector 1
  PutLe(h, 36, 20, 8);   // 20 sectors of descriptor
  PutLe(h, 44, 512, 4);
  PutLe(h, 56, gd_offset, 8);
  return h;
}

}  // namespace

std::string VmdkSparse(uint64_t capacity_sectors, std::string_view descriptor) {
  std::string image = VmdkHeader(1, capacity_sectors, 0x96);
  PutBytes(image, 512, descriptor);
  image.resize(0x80 * 512, '\0');
  return image;
}

std::string VmdkWithFooter(uint64_t footer_capacity_sectors) {
  std::string image = VmdkHeader(3, 0, ~uint64_t{0});
  PutBytes(image, 512, VmdkDescriptor("streamOptimized", "RW 2048 SPARSE \"s.vmdk\""));
  image.resize(0x80 * 512, '\0');
  std::string marker(512, '\0');
  PutLe(marker, 0, 1, 8);
  PutLe(marker, 12, 3, 4);  // footer marker
  image += marker + VmdkHeader(3, footer_capacity_sectors, 0x96) + std::string(512, '\0');
  return image;
}

std::string VhdFooter(uint32_t disk_type, uint64_t current_size, std::string_view creator) {
  std::string f(512, '\0');
  PutBytes(f, 0, "conectix");
  PutBytes(f, 28, creator);
  PutBe(f, 40, current_size, 8);
  PutBe(f, 48, current_size, 8);
  PutBe(f, 56, 1024, 2);  // cylinders
  f[58] = 16;             // heads
  f[59] = 63;             // sectors per track
  PutBe(f, 60, disk_type, 4);
  return f;
}

namespace {

// A GUID's on-disk bytes, Data1..Data3 little-endian.
std::string Guid(uint32_t d1, uint16_t d2, uint16_t d3, uint64_t d4) {
  std::string g;
  PutLe(g, 0, d1, 4);
  PutLe(g, 4, d2, 2);
  PutLe(g, 6, d3, 2);
  PutBe(g, 8, d4, 8);
  return g;
}

}  // namespace

std::string VhdxImage(uint64_t virtual_size, bool has_parent) {
  std::string image(kVhdxMetadataOffset + 64 * 1024 + 16, '\0');
  PutBytes(image, 0, "vhdxfile");
  size_t rt = kVhdxRegionTableOffset;
  PutBytes(image, rt, "regi");
  PutLe(image, rt + 8, 2, 4);
  PutBytes(image, rt + 16, Guid(0x2DC27766, 0xF623, 0x4200, 0x9D64115E9BFD4A08));  // BAT
  PutLe(image, rt + 32, 1 << 20, 8);
  PutBytes(image, rt + 48, Guid(0x8B7CA206, 0x4790, 0x4B9A, 0xB8FE575F050F886E));  // metadata
  PutLe(image, rt + 64, kVhdxMetadataOffset, 8);
  size_t md = kVhdxMetadataOffset;
  PutBytes(image, md, "metadata");
  PutLe(image, md + 10, 2, 2);
  PutBytes(image, md + 32, Guid(0xCAA16737, 0xFA36, 0x4D43, 0xB3B633F0AA44E76B));  // params
  PutLe(image, md + 48, 64 * 1024, 4);
  PutBytes(image, md + 64, Guid(0x2FA54224, 0xCD1B, 0x4876, 0xB2115DBED83BF4B8));  // size
  PutLe(image, md + 80, 64 * 1024 + 8, 4);
  PutLe(image, md + 64 * 1024, 32 << 20, 4);                // block size
  PutLe(image, md + 64 * 1024 + 4, has_parent ? 2 : 0, 4);  // flags
  PutLe(image, md + 64 * 1024 + 8, virtual_size, 8);
  return image;
}

std::string VdiHeader(uint64_t disk_size, uint32_t image_type) {
  std::string h(512, '\0');
  PutBytes(h, 0, "<<< Oracle VM VirtualBox Disk Image >>>\n");
  PutLe(h, 0x40, 0xbeda107f, 4);
  PutLe(h, 0x44, 0x00010001, 4);
  PutLe(h, 0x48, 0x190, 4);
  PutLe(h, 0x4c, image_type, 4);
  PutLe(h, 0x170, disk_size, 8);
  PutLe(h, 0x178, 1 << 20, 4);
  return h;
}

std::string IsoImage(uint32_t blocks) {
  std::string image(std::max<size_t>(size_t{blocks} * 2048, 18 * 2048), '\0');
  size_t pvd = 16 * 2048;
  image[pvd] = 1;
  PutBytes(image, pvd + 1, "CD001");
  image[pvd + 6] = 1;
  PutLe(image, pvd + 80, blocks, 4);
  PutBe(image, pvd + 84, blocks, 4);
  PutLe(image, pvd + 128, 2048, 2);
  PutBe(image, pvd + 130, 2048, 2);
  size_t term = 17 * 2048;
  image[term] = static_cast<char>(255);
  PutBytes(image, term + 1, "CD001");
  return image;
}

}  // namespace imagefs::service::testing
