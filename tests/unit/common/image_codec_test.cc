#include "common/wire/image_codec.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/digest.h"

namespace imagefs::wire {
namespace {

Image SampleImage() {
  Image img;
  img.id = "b2173dd3-7ad6-4362-baa6-a68bce3565cb";
  img.name = "cirros";
  img.status = ImageStatus::kActive;
  img.visibility = Visibility::kPrivate;
  img.checksum = "900150983cd24fb0d6963f7d28e17f72";
  img.os_hash_algo = "sha512";
  img.os_hash_value = "abcd";
  img.owner = "projA";
  img.size = 3;
  img.virtual_size = 3;
  img.min_ram = 64;
  img.container_format = "bare";
  img.disk_format = "raw";
  img.created_at = 1448835702LL * 1000000;
  img.updated_at = img.created_at + 1000000;
  img.tags = {"t1", "t2"};
  img.properties = {{"hw_disk_bus", "scsi"}, {"os_distro", "cirros"}};
  return img;
}

TEST(ImageCodecTest, V2JsonHasEveryBaseKeyAndCustomProperties) {
  Image img;
  img.id = "b2173dd3-7ad6-4362-baa6-a68bce3565cb";
  boost::json::object o = ToV2Json(img);
  for (const char* key : {"id", "name", "status", "visibility", "protected", "os_hidden",
                          "checksum", "os_hash_algo", "os_hash_value", "owner", "size",
                          "virtual_size", "min_disk", "min_ram", "container_format",
                          "disk_format", "created_at", "updated_at", "tags", "self", "file",
                          "schema"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_TRUE(o.at("name").is_null());
  EXPECT_EQ(o.at("visibility").as_string(), "shared");
  EXPECT_EQ(o.at("file").as_string(), "/v2/images/b2173dd3-7ad6-4362-baa6-a68bce3565cb/file");
  EXPECT_FALSE(o.contains("locations"));
  EXPECT_FALSE(o.contains("stores"));
}

TEST(ImageCodecTest, RoundTripsThroughV2Json) {
  Image img = SampleImage();
  Result<Image> back = ParseV2Image(SerializeV2Image(img));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, img);
}

TEST(ImageCodecTest, HiddenInternalPropertiesAreNotRendered) {
  Image img = SampleImage();
  img.properties["os_glance_stage_host"] = "http://x";
  img.properties["os_glance_import_task"] = "t";
  boost::json::object o = ToV2Json(img);
  EXPECT_FALSE(o.contains("os_glance_stage_host"));
  EXPECT_TRUE(o.contains("os_glance_import_task"));
}

TEST(ImageCodecTest, ParsesAPageWithNext) {
  std::string body = "{\"images\": [" + SerializeV2Image(SampleImage()) +
                     "], \"first\": \"/v2/images\", \"next\": \"/v2/images?marker=x\"}";
  Result<ImagePage> page = ParseV2ImagePage(body);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->images.size(), 1u);
  EXPECT_EQ(page->next, "/v2/images?marker=x");
}

TEST(ImageCodecTest, RejectsMalformedImages) {
  EXPECT_FALSE(ParseV2Image("[]").ok());
  EXPECT_FALSE(ParseV2Image("{\"name\": \"x\"}").ok());  // no id
  EXPECT_FALSE(ParseV2Image("{\"id\": \"x\", \"status\": \"bogus\"}").ok());
  EXPECT_FALSE(ParseV2Image("{\"id\": \"x\", \"size\": \"big\"}").ok());
  EXPECT_FALSE(ParseV2Image("{\"id\": \"x\", \"created_at\": \"yesterday\"}").ok());
  EXPECT_FALSE(ParseV2Image("{not json").ok());
}

// A block map of `size` bytes in 1 MiB blocks, with made-up digests.
BlockMap MapOf(uint64_t size) {
  BlockMap m;
  m.image_id = "i";
  m.content_key = "k";
  m.size = size;
  m.block_size = 1u << 20;
  for (int i = 0; i < static_cast<int>(m.BlockCount()); ++i) {
    m.digests.push_back(Sha256Raw(&i, sizeof i));
  }
  return m;
}

TEST(ImageCodecTest, BlockMapRoundTripAndValidation) {
  BlockMap m = MapOf((3u << 20) + 5);  // 4 blocks
  std::string text = boost::json::serialize(ToJson(m));
  Result<BlockMap> back = ParseBlockMap(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
  m.digests.pop_back();  // 3 digests for 4 blocks
  EXPECT_FALSE(ParseBlockMap(boost::json::serialize(ToJson(m))).ok());
}

BlockMap TwoBlockMap() { return MapOf((1u << 20) + 1); }

TEST(ImageCodecTest, BlockMapCrcsRoundTripAsEightHexDigits) {
  BlockMap m = TwoBlockMap();
  m.crc32c = {0x0000001au, 0xdeadbeefu};
  boost::json::object o = ToJson(m);
  ASSERT_TRUE(o.contains("crc32c"));
  EXPECT_EQ(boost::json::serialize(o.at("crc32c")), R"(["0000001a","deadbeef"])");
  Result<BlockMap> back = ParseBlockMap(boost::json::serialize(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->crc32c, m.crc32c);
  EXPECT_EQ(*back, m);
  // Upper case is read too, as for the digests.
  o["crc32c"] = boost::json::array{"0000001A", "DEADBEEF"};
  back = ParseBlockMap(boost::json::serialize(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->crc32c, m.crc32c);
}

TEST(ImageCodecTest, BlockMapWithoutCrcsHasNoCrcField) {
  BlockMap m = TwoBlockMap();
  boost::json::object o = ToJson(m);
  EXPECT_FALSE(o.contains("crc32c"));
  Result<BlockMap> back = ParseBlockMap(boost::json::serialize(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->crc32c.empty());
  EXPECT_EQ(*back, m);
}

TEST(ImageCodecTest, BadBlockMapCrcsAreInvalidArgument) {
  boost::json::object o = ToJson(TwoBlockMap());
  auto parse_with = [&](boost::json::value crcs) {
    boost::json::object bad = o;
    bad["crc32c"] = std::move(crcs);
    return ParseBlockMap(boost::json::serialize(bad)).status();
  };
  using A = boost::json::array;
  for (const boost::json::value& crcs :
       {boost::json::value(A{"0000001a", "deadbeeg"}),   // not hex
        boost::json::value(A{"0000001a", "deadbee"}),    // 7 digits
        boost::json::value(A{"0000001a", "0deadbeef"}),  // 9 digits
        boost::json::value(A{"0000001a", 12}),           // not a string
        boost::json::value(A{"0000001a"}),               // one CRC for two blocks
        boost::json::value(A{"0000001a", "00000000", "00000000"}),
        boost::json::value(A{}),  // present but empty: the count is still wrong
        boost::json::value("0000001a")}) {
    Status s = parse_with(crcs);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << boost::json::serialize(crcs);
  }
  EXPECT_TRUE(parse_with(A{"0000001a", "deadbeef"}).ok());
}

TEST(ImageModelTest, TransitionsFollowGlance) {
  EXPECT_TRUE(IsValidTransition(ImageStatus::kQueued, ImageStatus::kSaving));
  EXPECT_TRUE(IsValidTransition(ImageStatus::kSaving, ImageStatus::kQueued));
  EXPECT_FALSE(IsValidTransition(ImageStatus::kActive, ImageStatus::kSaving));
  EXPECT_FALSE(IsValidTransition(ImageStatus::kDeleted, ImageStatus::kActive));
  EXPECT_TRUE(IsValidTransition(ImageStatus::kDeactivated, ImageStatus::kActive));
}

}  // namespace
}  // namespace imagefs::wire
