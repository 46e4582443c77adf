#include "common/digest.h"

#include <gtest/gtest.h>

namespace imagefs {
namespace {

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(DigestHex(DigestAlgorithm::kMd5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(DigestHex(DigestAlgorithm::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(DigestHex(DigestAlgorithm::kSha512, "").substr(0, 16), "cf83e1357eefb8bd");
}

TEST(DigestTest, IncrementalEqualsOneShotAndResets) {
  Digest d(DigestAlgorithm::kSha256);
  d.Update("a");
  d.Update("bc");
  EXPECT_EQ(d.FinishRaw(), Sha256Raw("abc", 3));
  d.Update("abc");
  EXPECT_EQ(d.FinishHex(), DigestHex(DigestAlgorithm::kSha256, "abc"));
}

TEST(DigestTest, HexRoundTripAndRejects) {
  std::string raw;
  ASSERT_TRUE(FromHex("00ff10Ab", &raw));
  EXPECT_EQ(ToHex(raw), "00ff10ab");
  EXPECT_FALSE(FromHex("abc", &raw));
  EXPECT_FALSE(FromHex("zz", &raw));
}

}  // namespace
}  // namespace imagefs
