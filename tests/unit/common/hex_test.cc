#include "common/hex.h"

#include <gtest/gtest.h>

#include <string>

namespace imagefs {
namespace {

TEST(HexTest, DigitValuesInEitherCase) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('%'), -1);
}

TEST(HexTest, FailedDecodeLeavesOutputAlone) {
  std::string raw = "kept";
  EXPECT_FALSE(FromHex("0g", &raw));
  EXPECT_EQ(raw, "kept");
  ASSERT_TRUE(FromHex("", &raw));
  EXPECT_EQ(raw, "");
}

}  // namespace
}  // namespace imagefs
