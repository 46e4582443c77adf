#include "service/catalog/record_codec.h"

#include <string>

#include <gtest/gtest.h>

#include "service/catalog/keys.h"

namespace imagefs::service::catalog {
namespace {

wire::Image FullImage() {
  wire::Image image;
  image.id = "c767bda6-266c-40d0-9883-d5d6cd154752";
  image.name = "L-alpha";
  image.status = wire::ImageStatus::kPendingDelete;
  image.visibility = wire::Visibility::kCommunity;
  image.is_protected = true;
  image.os_hidden = true;
  image.checksum = "36a92cc94a9e0fa21f625f8bfb007adf";
  image.os_hash_algo = "sha512";
  image.os_hash_value = std::string(128, 'f');
  image.owner = "projL";
  image.size = 0;  // present but zero must stay present
  image.virtual_size = 1LL << 40;
  image.min_disk = 20;
  image.min_ram = -1;  // out-of-schema values still round-trip
  image.container_format = "bare";
  image.disk_format = "qcow2";
  image.created_at = -5;  // before the epoch
  image.updated_at = 1'700'000'000'123'456;
  image.deleted_at = 1'700'000'001'000'000;
  image.tags = {"red", "blue", ""};  // insertion order kept
  image.properties = {{"color", "red"}, {"os_glance_import_task", "t"}, {"", ""}};
  image.locations = {{"file:///a", {{"store", "fs"}}}, {"file:///b", {}}};
  image.stores = {"fs", "fs2"};
  image.block_size = 1u << 20;
  return image;
}

TEST(RecordCodecTest, FullImageRoundTrips) {
  wire::Image image = FullImage();
  Result<wire::Image> decoded = DecodeImage(EncodeImage(image));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, image);
}

TEST(RecordCodecTest, MinimalImageRoundTripsWithUnsetFields) {
  wire::Image image;
  image.id = "x";
  Result<wire::Image> decoded = DecodeImage(EncodeImage(image));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, image);
  EXPECT_FALSE(decoded->size.has_value());
  EXPECT_FALSE(decoded->name.has_value());
}

TEST(RecordCodecTest, EveryStatusAndVisibilityRoundTrips) {
  for (int s = 0; s <= static_cast<int>(wire::ImageStatus::kDeactivated); ++s) {
    for (auto v : {wire::Visibility::kPublic, wire::Visibility::kCommunity,
                   wire::Visibility::kShared, wire::Visibility::kPrivate}) {
      wire::Image image;
      image.id = "x";
      image.status = static_cast<wire::ImageStatus>(s);
      image.visibility = v;
      Result<wire::Image> decoded = DecodeImage(EncodeImage(image));
      ASSERT_TRUE(decoded.ok());
      EXPECT_EQ(*decoded, image);
    }
  }
}

TEST(RecordCodecTest, RecordsStartWithTheVersionByte) {
  EXPECT_EQ(EncodeImage(FullImage()).front(), static_cast<char>(kRecordVersion1));
  EXPECT_EQ(EncodeMember({}).front(), static_cast<char>(kRecordVersion1));
  EXPECT_EQ(EncodeBlockMap({}).front(), static_cast<char>(kBlockMapVersion2));
}

TEST(RecordCodecTest, EveryTruncationIsDataLoss) {
  std::string record = EncodeImage(FullImage());
  for (size_t n = 0; n < record.size(); ++n) {
    Result<wire::Image> decoded = DecodeImage(record.substr(0, n));
    ASSERT_FALSE(decoded.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  }
}

TEST(RecordCodecTest, TrailingBytesAndUnknownVersionsAreDataLoss) {
  std::string record = EncodeImage(FullImage());
  EXPECT_EQ(DecodeImage(record + "x").status().code(), StatusCode::kDataLoss);
  record[0] = 2;
  Result<wire::Image> decoded = DecodeImage(record);
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("version 2"), std::string::npos);
}

TEST(RecordCodecTest, MemberRoundTrips) {
  wire::Member m{"img", "proj/with/slashes", wire::MemberStatus::kRejected, true, -1, 7};
  Result<wire::Member> decoded = DecodeMember(EncodeMember(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, m);
  EXPECT_EQ(DecodeMember("").status().code(), StatusCode::kDataLoss);
}

TEST(RecordCodecTest, BlockMapRoundTrips) {
  wire::BlockMap map;
  map.image_id = "img";
  map.content_key = "abc";
  map.size = (5ULL << 20) + 3;
  map.block_size = 1u << 20;
  map.digests = {std::string(32, '\0'), std::string(32, '\xff')};
  Result<wire::BlockMap> decoded = DecodeBlockMap(EncodeBlockMap(map));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, map);
  std::string record = EncodeBlockMap(map);
  EXPECT_EQ(DecodeBlockMap(record.substr(0, record.size() - 1)).status().code(),
            StatusCode::kDataLoss);
}

wire::BlockMap MapWithCrcs() {
  wire::BlockMap map;
  map.image_id = "img";
  map.content_key = "abc";
  map.size = (2ULL << 20) + 3;
  map.block_size = 1u << 20;
  map.digests = {std::string(32, '\0'), std::string(32, '\xff'), std::string(32, 'x')};
  map.crc32c = {0, 0xffffffffu, 0x12345678u};
  return map;
}

TEST(RecordCodecTest, BlockMapCrcsRoundTrip) {
  wire::BlockMap map = MapWithCrcs();
  std::string record = EncodeBlockMap(map);
  Result<wire::BlockMap> decoded = DecodeBlockMap(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->crc32c, map.crc32c);
  EXPECT_EQ(*decoded, map);
  // Cut anywhere, including right after the digests, the record is corrupt.
  for (size_t n = 0; n < record.size(); ++n) {
    EXPECT_EQ(DecodeBlockMap(record.substr(0, n)).status().code(), StatusCode::kDataLoss) << n;
  }
}

// A block map as imaged wrote it before it kept CRCs: version 1, ending after the
// digests (the encoder of that time, spelled out).
std::string OldBlockMapRecord(const wire::BlockMap& map) {
  std::string out(1, '\x01');
  auto varint = [&](uint64_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    out.push_back(static_cast<char>(v));
  };
  auto string = [&](const std::string& s) {
    varint(s.size());
    out += s;
  };
  string(map.image_id);
  string(map.content_key);
  varint(map.size);
  varint(map.block_size);
  string(map.algorithm);
  varint(map.digests.size());
  for (const std::string& d : map.digests) string(d);
  return out;
}

TEST(RecordCodecTest, BlockMapsWrittenBeforeCrcsDecodeWithoutThem) {
  wire::BlockMap map = MapWithCrcs();
  map.crc32c.clear();
  Result<wire::BlockMap> decoded = DecodeBlockMap(OldBlockMapRecord(map));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->crc32c.empty());
  EXPECT_EQ(*decoded, map);
  // Version 1 never had anything after the digests.
  EXPECT_EQ(DecodeBlockMap(OldBlockMapRecord(map) + std::string(1, '\0')).status().code(),
            StatusCode::kDataLoss);
  std::string future = EncodeBlockMap(map);
  future[0] = 3;
  EXPECT_EQ(DecodeBlockMap(future).status().code(), StatusCode::kDataLoss);
}

TEST(RecordCodecTest, ABlockMapWithAWrongNumberOfCrcsIsCorrupt) {
  wire::BlockMap map = MapWithCrcs();
  map.crc32c.pop_back();  // two CRCs for three blocks
  EXPECT_EQ(DecodeBlockMap(EncodeBlockMap(map)).status().code(), StatusCode::kDataLoss);
  map.crc32c = {1, 2, 3, 4};
  EXPECT_EQ(DecodeBlockMap(EncodeBlockMap(map)).status().code(), StatusCode::kDataLoss);
  map.crc32c.clear();  // none: unknown, fine
  EXPECT_TRUE(DecodeBlockMap(EncodeBlockMap(map)).ok());
}

TEST(KeysTest, MemberKeysSplitAtTheImageId) {
  std::string key = MemberKey("img-1", "proj/a");
  EXPECT_EQ(key, "mem/img-1/proj/a");
  auto parsed = ParseMemberKey(key);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first, "img-1");
  EXPECT_EQ(parsed->second, "proj/a");
  EXPECT_FALSE(ParseMemberKey("img/x").has_value());
  EXPECT_FALSE(IsStorableImageId("a/b"));
  EXPECT_FALSE(IsStorableImageId(""));
  EXPECT_TRUE(IsStorableImageId("c767bda6-266c-40d0-9883-d5d6cd154752"));
}

}  // namespace
}  // namespace imagefs::service::catalog
