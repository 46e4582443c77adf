#include "cache/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace imagefs::cache {
namespace {

TEST(Crc32cTest, KnownAnswers) {
  EXPECT_EQ(Crc32c("", 0), 0u);
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);  // the standard check value
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(Crc32cTest, EveryLengthAndAlignmentAgreesWithTheBytewiseDefinition) {
  std::string s;
  for (int i = 0; i < 300; ++i) s.push_back(static_cast<char>(i * 37 + 11));
  auto slow = [](const char* p, size_t n) {
    uint32_t c = ~0u;
    for (size_t i = 0; i < n; ++i) {
      c ^= static_cast<unsigned char>(p[i]);
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
  };
  for (size_t off = 0; off < 9; ++off) {
    for (size_t n = 0; n + off <= s.size(); n += 7) {
      EXPECT_EQ(Crc32c(s.data() + off, n), slow(s.data() + off, n)) << off << "+" << n;
    }
  }
}

}  // namespace
}  // namespace imagefs::cache
