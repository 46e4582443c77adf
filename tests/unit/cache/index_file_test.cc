#include "cache/index_file.h"

#include <gtest/gtest.h>

#include "tests/testing/cache/fake_image.h"

namespace imagefs::cache {
namespace {

IndexSnapshot Sample() {
  IndexSnapshot s;
  s.versions.push_back(*ParseVersionName("img-a." + std::string(32, 'a') + ".100.10"));
  s.versions.push_back(
      *ParseVersionName("_" + std::string(32, 'b') + "." + std::string(32, 'c') + ".1048576.4096"));
  s.blocks = {{0, 3}, {1, 255}, {0, 9}, {1, 0}};
  return s;
}

void ExpectSame(const IndexSnapshot& a, const IndexSnapshot& b) {
  EXPECT_EQ(a.versions, b.versions);
  EXPECT_EQ(a.blocks, b.blocks);
}

TEST(IndexFileTest, RoundTrips) {
  Result<IndexSnapshot> decoded = DecodeIndex(EncodeIndex(Sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(*decoded, Sample());
}

TEST(IndexFileTest, BlockChecksRoundTrip) {
  IndexSnapshot s = Sample();
  s.checks = {BlockCheck(7), 0, BlockCheck(0), BlockCheck(0xFFFFFFFF)};
  Result<IndexSnapshot> decoded = DecodeIndex(EncodeIndex(s));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(*decoded, s);
  EXPECT_EQ(decoded->checks, s.checks);
  // Without checks, every block decodes as "unknown".
  decoded = DecodeIndex(EncodeIndex(Sample()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->checks, std::vector<uint64_t>(4, 0));
}

TEST(IndexFileTest, MalformedCheckIsDataLoss) {
  IndexSnapshot s = Sample();
  s.checks = {uint64_t{5} << 32, 0, 0, 0};  // neither 0 nor 2^32 | crc (| 2^33)
  EXPECT_EQ(DecodeIndex(EncodeIndex(s)).status().code(), StatusCode::kDataLoss);
}

TEST(IndexFileTest, SealsAndVerifiedMarksRoundTrip) {
  IndexSnapshot s = Sample();
  s.seals = {FileStamp{12, 1000, -5, 1'700'000'000'123'456'789}, std::nullopt};
  s.checks = {BlockCheck(7) | kVerifiedUnderSeal, 0, BlockCheck(9), BlockCheck(1)};
  Result<IndexSnapshot> decoded = DecodeIndex(EncodeIndex(s));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(*decoded, s);
  EXPECT_EQ(decoded->checks, s.checks);
  EXPECT_EQ(decoded->seals, s.seals);
  // No seals given: every version decodes unsealed.
  decoded = DecodeIndex(EncodeIndex(Sample()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->seals, (std::vector<std::optional<FileStamp>>(2)));
}

TEST(IndexFileTest, VerifiedMarkOfAnUnsealedVersionIsDataLoss) {
  IndexSnapshot s = Sample();
  s.seals = {std::nullopt, FileStamp{1, 2, 3, 4}};
  s.checks = {BlockCheck(7) | kVerifiedUnderSeal, 0, 0, 0};  // version 0 is unsealed
  EXPECT_EQ(DecodeIndex(EncodeIndex(s)).status().code(), StatusCode::kDataLoss);
}

// Format 2 (before seals) is still read: the LRU order and CRC-32Cs survive an upgrade.
TEST(IndexFileTest, Format2IsStillRead) {
  std::string v2("IMGFSIDX", 8);
  auto put = [&v2](uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) v2.push_back(static_cast<char>(value >> (8 * i)));
  };
  std::string stem = Sample().versions[0].Stem();
  put(2, 4);
  put(1, 4);
  put(stem.size(), 2);
  v2 += stem;
  put(1, 8);
  put(0, 4);
  put(3, 8);
  put(BlockCheck(42), 8);
  v2 += Sha256Raw(v2.data(), v2.size());
  Result<IndexSnapshot> decoded = DecodeIndex(v2);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->versions, std::vector<VersionName>{Sample().versions[0]});
  EXPECT_EQ(decoded->blocks, (std::vector<std::pair<uint32_t, uint64_t>>{{0, 3}}));
  EXPECT_EQ(decoded->checks, std::vector<uint64_t>{BlockCheck(42)});
  EXPECT_EQ(decoded->seals, (std::vector<std::optional<FileStamp>>(1)));
}

TEST(IndexFileTest, EmptyRoundTrips) {
  Result<IndexSnapshot> decoded = DecodeIndex(EncodeIndex(IndexSnapshot{}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->versions.empty());
  EXPECT_TRUE(decoded->blocks.empty());
}

TEST(IndexFileTest, EveryTruncationIsDataLoss) {
  std::string bytes = EncodeIndex(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeIndex(bytes.substr(0, n)).status().code(), StatusCode::kDataLoss) << n;
  }
  EXPECT_FALSE(DecodeIndex(bytes + "x").ok());
}

TEST(IndexFileTest, EveryFlippedBitIsDataLoss) {
  const std::string bytes = EncodeIndex(Sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      EXPECT_FALSE(DecodeIndex(damaged).ok()) << i << ":" << bit;
    }
  }
}

TEST(IndexFileTest, RandomBytesAreRejectedWithoutCrashing) {
  for (uint32_t seed = 0; seed < 200; ++seed) {
    std::string junk = testing::RandomBytes(uint64_t{seed} * 7, seed);
    if (seed % 2 == 0 && junk.size() >= 8) {
      junk.replace(0, 8, "IMGFSIDX");
    }
    EXPECT_FALSE(DecodeIndex(junk).ok());
  }
}

TEST(IndexFileTest, WellChecksummedButOutOfRangeContentIsRejected) {
  IndexSnapshot bad_block = Sample();
  bad_block.blocks.push_back({0, 10});  // image a has 10 blocks: 0..9
  EXPECT_EQ(DecodeIndex(EncodeIndex(bad_block)).status().code(), StatusCode::kDataLoss);
  IndexSnapshot bad_version = Sample();
  bad_version.blocks.push_back({2, 0});
  EXPECT_FALSE(DecodeIndex(EncodeIndex(bad_version)).ok());
}

TEST(IndexFileTest, OtherFormatNumberIsRejected) {
  std::string bytes = EncodeIndex(Sample());
  bytes[8] = 1;  // format (after the magic): 1, before block checks
  bytes.resize(bytes.size() - 32);
  bytes += Sha256Raw(bytes.data(), bytes.size());
  EXPECT_FALSE(DecodeIndex(bytes).ok());
}

}  // namespace
}  // namespace imagefs::cache
