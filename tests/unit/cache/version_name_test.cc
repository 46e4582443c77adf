#include "cache/version_name.h"

#include <gtest/gtest.h>

#include "tests/testing/cache/fake_image.h"

namespace imagefs::cache {
namespace {

ImageLayout Layout(std::string id, std::string key, uint64_t size = 10, uint32_t block = 4) {
  ImageLayout layout;
  layout.image_id = std::move(id);
  layout.content_key = std::move(key);
  layout.size = size;
  layout.block_size = block;
  layout.digests =
      std::make_shared<std::vector<std::string>>(layout.BlockCount(), std::string(32, 'd'));
  return layout;
}

const std::string kKey(128, 'A');

TEST(VersionNameTest, UuidImageIdIsKeptAndKeyIsLowerCasePrefix) {
  VersionName name = NameOf(Layout("0b9c6a2e-1d2f-4c5b-9a7e-2f3c4d5e6f70", kKey, 10, 4));
  EXPECT_EQ(name.FileName(),
            "0b9c6a2e-1d2f-4c5b-9a7e-2f3c4d5e6f70." + std::string(32, 'a') + ".10.4.data");
}

TEST(VersionNameTest, ImageIdsThatAreNotPlainAreHashed) {
  for (const char* id : {"../x", "a/b", "with.dot", "under_score", "", "\xff"}) {
    VersionName name = NameOf(Layout(id, kKey));
    EXPECT_EQ(name.image.size(), 33u) << id;
    EXPECT_EQ(name.image[0], '_');
  }
  EXPECT_NE(NameOf(Layout("a/b", kKey)).image, NameOf(Layout("a/c", kKey)).image);
}

TEST(VersionNameTest, ShortOrNonHexKeysAreHashed) {
  EXPECT_EQ(NameOf(Layout("i", "abc")).key.size(), 32u);
  EXPECT_NE(NameOf(Layout("i", "abc")).key, NameOf(Layout("i", "abd")).key);
  EXPECT_NE(NameOf(Layout("i", std::string(40, 'z'))).key, std::string(32, 'z'));
}

TEST(VersionNameTest, EveryLayoutFieldChangesTheName) {
  std::string base = NameOf(Layout("i", kKey, 10, 4)).Stem();
  EXPECT_NE(NameOf(Layout("j", kKey, 10, 4)).Stem(), base);
  EXPECT_NE(NameOf(Layout("i", std::string(128, 'b'), 10, 4)).Stem(), base);
  EXPECT_NE(NameOf(Layout("i", kKey, 11, 4)).Stem(), base);
  EXPECT_NE(NameOf(Layout("i", kKey, 10, 8)).Stem(), base);
}

TEST(VersionNameTest, ParseRoundTrips) {
  VersionName name = NameOf(Layout("_odd/id", kKey, 123456789, 1 << 20));
  std::optional<VersionName> parsed = ParseVersionName(name.FileName());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, name);
  EXPECT_EQ(ParseVersionName(name.Stem()), name);
}

TEST(VersionNameTest, ParseRejectsWhatNameOfCannotProduce) {
  const std::string key(32, 'a');
  for (const std::string& bad :
       {std::string("index"), "a." + key + ".10.4.data.x", "a." + key + ".10.data",
        "a/b." + key + ".10.4.data", "." + key + ".10.4", "a." + key + ".010.4",
        "a." + key + ".10.0", "a." + key + ".-1.4", "a." + key + ".10.99999999999",
        "a." + std::string(32, 'A') + ".10.4", "a." + std::string(31, 'a') + ".10.4",
        "_abc." + key + ".10.4", "a." + key + ".10.4.", "a." + key + ".100000000000000000.4",
        "a." + key + ".10." + std::to_string(kMaxBlockSize + 1)}) {
    EXPECT_FALSE(ParseVersionName(bad).has_value()) << bad;
  }
}

TEST(VersionNameTest, BlockLengthOfTheLastBlockIsTheRemainder) {
  VersionName name = NameOf(Layout("i", kKey, 10, 4));
  EXPECT_EQ(name.BlockCount(), 3u);
  EXPECT_EQ(name.BlockLength(1), 4u);
  EXPECT_EQ(name.BlockLength(2), 2u);
  EXPECT_EQ(name.BlockLength(3), 0u);
  EXPECT_EQ(Layout("i", kKey, 10, 4).BlockLength(2), 2u);
  EXPECT_EQ(Layout("i", kKey, 0, 4).BlockCount(), 0u);
}

TEST(VersionNameTest, ValidateLayoutChecksShapeNotEveryDigest) {
  EXPECT_TRUE(ValidateLayout(Layout("i", kKey)).ok());
  EXPECT_FALSE(ValidateLayout(Layout("", kKey)).ok());
  EXPECT_FALSE(ValidateLayout(Layout("i", "")).ok());
  EXPECT_FALSE(ValidateLayout(Layout("i", kKey, 10, 0)).ok());
  ImageLayout too_large = Layout("i", kKey);
  too_large.size = kMaxImageSize + 1;
  EXPECT_FALSE(ValidateLayout(too_large).ok());
  ImageLayout wrong_count = Layout("i", kKey);
  wrong_count.digests = std::make_shared<std::vector<std::string>>(1);
  EXPECT_FALSE(ValidateLayout(wrong_count).ok());
  ImageLayout short_digest = Layout("i", kKey);
  EXPECT_TRUE(HasValidDigest(short_digest, 0));
  (*std::const_pointer_cast<std::vector<std::string>>(short_digest.digests))[0] = "x";
  EXPECT_FALSE(HasValidDigest(short_digest, 0));
}

}  // namespace
}  // namespace imagefs::cache
