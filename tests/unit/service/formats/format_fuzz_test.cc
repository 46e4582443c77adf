// A small deterministic fuzz pass: 2,000 random and mutated headers through
// InspectFormat and CheckUpload. Run under ASan+UBSan it shows that untrusted
// headers cannot make the inspector crash, read out of bounds, or read unbounded.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/formats/format_inspector.h"
#include "tests/unit/service/formats/test_images.h"

namespace imagefs::service {
namespace {

using testing::StringReader;

std::vector<std::string> Seeds() {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  return {
      testing::Qcow2Header(3, kGiB),
      testing::Qcow2Header(2, kGiB),
      testing::VmdkSparse(2048,
                          testing::VmdkDescriptor("monolithicSparse", "RW 2048 SPARSE \"a\"")),
      testing::VmdkWithFooter(4096),
      testing::VmdkDescriptor("monolithicFlat", "RW 2048 FLAT \"f\" 0"),
      testing::VhdFooter(3, kGiB) + std::string(1024, '\0') + testing::VhdFooter(3, kGiB),
      std::string(4096, '\0') + testing::VhdFooter(2, 4096),
      testing::VhdxImage(kGiB),
      testing::VdiHeader(kGiB),
      testing::IsoImage(20),
      std::string(),
  };
}

// Offsets where the seeds keep their fields, so mutations hit them often.
uint64_t PickOffset(std::mt19937_64& rng, const std::string& bytes) {
  static constexpr uint64_t kHotSpots[] = {
      0, 8, 24, 28, 36, 56, 64, 72, 512, 0x170, 0x8000, 192 * 1024, 192 * 1024 + 48, 320 * 1024};
  uint64_t size = std::max<uint64_t>(bytes.size(), 1);
  switch (rng() % 3) {
    case 0:
      return rng() % size;
    case 1:
      return kHotSpots[rng() % std::size(kHotSpots)] + rng() % 96;
    default:
      return size - 1 - rng() % std::min<uint64_t>(size, 1600);
  }
}

void Mutate(std::mt19937_64& rng, std::string& bytes) {
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits; ++i) {
    uint64_t at = PickOffset(rng, bytes);
    if (at > (1u << 20)) continue;
    uint64_t value = rng() % 2 ? ~uint64_t{0} - rng() % 4096 : rng();
    int width = 1 << (rng() % 4);  // 1, 2, 4 or 8 bytes
    testing::PutLe(bytes, static_cast<size_t>(at), value, width);
  }
  if (rng() % 4 == 0) {
    bytes.resize(rng() % (bytes.size() + 1));
  }
}

std::string RandomBytes(std::mt19937_64& rng) {
  std::string bytes(rng() % 70000, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

TEST(FormatFuzzTest, RandomAndMutatedHeadersNeverCrashOrReadUnbounded) {
  std::mt19937_64 rng(20240611);
  const std::vector<std::string> seeds = Seeds();
  const char* kDiskFormats[] = {"raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ami"};
  int recognised = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = i % 5 == 0 ? RandomBytes(rng) : seeds[rng() % seeds.size()];
    Mutate(rng, bytes);
    uint64_t size = rng() % 8 == 0 ? bytes.size() + (rng() % (uint64_t{1} << 50)) : bytes.size();
    StringReader reader(bytes, size);
    Result<FormatInfo> info = InspectFormat(reader);
    ASSERT_TRUE(info.ok()) << "case " << i << ": " << info.status();
    EXPECT_LT(reader.bytes_read(), uint64_t{4} << 20) << "case " << i;
    if (info->format != "raw") ++recognised;
    if (info->virtual_size) {
      EXPECT_GE(*info->virtual_size, 0) << "case " << i;
    }
    Result<std::optional<int64_t>> checked = CheckUpload(kDiskFormats[i % 8], "bare", reader);
    EXPECT_TRUE(checked.ok() || checked.status().code() == StatusCode::kUnsupportedMedia)
        << "case " << i << ": " << checked.status();
  }
  EXPECT_GT(recognised, 500);  // the mutations mostly keep a recognisable header
}

}  // namespace
}  // namespace imagefs::service
