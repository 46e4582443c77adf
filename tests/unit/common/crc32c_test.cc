#include "common/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace imagefs {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

// CRC-32C by its definition, one bit at a time.
uint32_t Bitwise(const char* p, size_t n) {
  uint32_t c = ~0u;
  for (size_t i = 0; i < n; ++i) {
    c ^= static_cast<unsigned char>(p[i]);
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

TEST(Crc32cTest, KnownAnswers) {
  EXPECT_EQ(Crc32c("", 0), 0u);
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);  // the standard check value
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(Crc32cTest, EveryLengthAndAlignmentAgreesWithTheBytewiseDefinition) {
  std::string s;
  for (int i = 0; i < 300; ++i) s.push_back(static_cast<char>(i * 37 + 11));
  for (size_t off = 0; off < 9; ++off) {
    for (size_t n = 0; n + off <= s.size(); n += 7) {
      EXPECT_EQ(Crc32c(s.data() + off, n), Bitwise(s.data() + off, n)) << off << "+" << n;
    }
  }
}

// Inputs of 24 KiB and more take the three-lane path: around its chunk edges, in a
// cache block (1 MiB) and at odd lengths and alignments.
TEST(Crc32cTest, LongInputsAgreeWithTheBitwiseDefinition) {
  std::string s(3 * kMiB + 64, '\0');
  uint32_t x = 12345;
  for (char& ch : s) {
    x = x * 1103515245 + 12345;
    ch = static_cast<char>(x >> 16);
  }
  const size_t chunk = 3 * 8192;
  for (size_t n : {chunk - 1, chunk, chunk + 1, chunk + 8, 2 * chunk - 3, 2 * chunk, 5 * chunk + 7,
                   kMiB, kMiB + 13, 3 * kMiB}) {
    for (size_t off : {size_t{0}, size_t{3}}) {
      EXPECT_EQ(Crc32c(s.data() + off, n), Bitwise(s.data() + off, n)) << off << "+" << n;
    }
  }
  // Zeros too: every lane's state then comes from the shift tables alone.
  std::string zeros(kMiB, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), Bitwise(zeros.data(), zeros.size()));
}

}  // namespace
}  // namespace imagefs
