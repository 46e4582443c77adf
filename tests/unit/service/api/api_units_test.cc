// Unit tests of the API layer's pure pieces: JSON patch parsing, Range parsing,
// schema validation, the tokens file and query encoding.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <tuple>

#include "service/api/handler_util.h"
#include "service/api/image_schema.h"
#include "service/api/json_patch.h"
#include "service/api/range.h"
#include "service/auth/authenticator.h"
#include "tests/testing/service/temp_dir.h"

namespace imagefs::service::api {
namespace {

namespace json = boost::json;

Result<std::vector<PatchOp>> Parse(PatchDialect d, const char* text) {
  return ParsePatch(d, json::parse(text));
}

TEST(JsonPatchTest, ParsesBothDialects) {
  auto v21 = Parse(PatchDialect::kV21, R"([{"op": "add", "path": "/a~1b~0c", "value": 1}])");
  ASSERT_TRUE(v21.ok()) << v21.status();
  EXPECT_EQ((*v21)[0].path, std::vector<std::string>{"a/b~c"});
  EXPECT_EQ((*v21)[0].kind, PatchOp::Kind::kAdd);
  auto v20 = Parse(PatchDialect::kV20, R"([{"remove": "/k"}])");
  ASSERT_TRUE(v20.ok()) << v20.status();
  EXPECT_EQ((*v20)[0].kind, PatchOp::Kind::kRemove);
  EXPECT_FALSE((*v20)[0].value.has_value());
}

TEST(JsonPatchTest, RejectsMalformedOperations) {
  for (const char* bad : {R"({})", R"([1])", R"([{"path": "/a"}])", R"([{"op": "copy", "path": "/a"}])",
                          R"([{"op": "add", "value": 1}])", R"([{"op": "add", "path": "/a"}])",
                          R"([{"op": "add", "path": "a", "value": 1}])",
                          R"([{"op": "add", "path": "/a//b", "value": 1}])",
                          R"([{"op": "add", "path": "/a/", "value": 1}])",
                          R"([{"op": "add", "path": "/a~2", "value": 1}])",
                          R"([{"op": "add", "path": "/a/b", "value": 1}])",
                          R"([{"op": "remove", "path": "/locations"}])"}) {
    EXPECT_FALSE(Parse(PatchDialect::kV21, bad).ok()) << bad;
  }
  EXPECT_FALSE(Parse(PatchDialect::kV20, R"([{"add": "/a", "remove": "/b", "value": 1}])").ok());
  EXPECT_FALSE(Parse(PatchDialect::kV20, R"([{"op": "add", "path": "/a", "value": 1}])").ok());
  EXPECT_TRUE(Parse(PatchDialect::kV21, R"([{"op": "add", "path": "/locations/-", "value": {}}])").ok());
}

TEST(JsonPatchTest, MediaTypes) {
  EXPECT_EQ(PatchDialectOf("application/openstack-images-v2.1-json-patch"), PatchDialect::kV21);
  EXPECT_EQ(PatchDialectOf("application/openstack-images-v2.0-json-patch; charset=UTF-8"),
            PatchDialect::kV20);
  EXPECT_FALSE(PatchDialectOf("application/json-patch+json").has_value());
  EXPECT_FALSE(PatchDialectOf("").has_value());
}

TEST(RangeTest, SingleRangesAreClampedAndValidated) {
  auto r = ParseRange("bytes=10-19", 1000, false);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->first, 10u);
  EXPECT_EQ((*r)->length(), 10u);
  EXPECT_EQ((*ParseRange("bytes=995-5000", 1000, false))->last, 999u);
  EXPECT_EQ((*ParseRange("bytes=-5", 1000, false))->first, 995u);
  EXPECT_EQ((*ParseRange("bytes=-5000", 1000, false))->first, 0u);
  EXPECT_EQ((*ParseRange("bytes 0-9/*", 1000, true))->last, 9u);
  EXPECT_EQ(ParseRange("bytes=0-1,4-5", 1000, false).status().code(), StatusCode::kInvalidArgument);
  for (const char* bad : {"bytes=1000-", "bytes=5-4", "items=0-1", "bytes=x-1", "bytes=-0", "bytes"}) {
    EXPECT_EQ(ParseRange(bad, 1000, false).status().code(), StatusCode::kOutOfRange) << bad;
  }
  EXPECT_EQ(ParseRange("bytes=0-", 0, false).status().code(), StatusCode::kOutOfRange);
}

TEST(ImageSchemaTest, ValidatesTypesEnumsAndLengths) {
  EXPECT_TRUE(ValidateProperty("name", json::value(nullptr)).ok());
  EXPECT_FALSE(ValidateProperty("name", json::value(std::string(256, 'x'))).ok());
  EXPECT_TRUE(ValidateProperty("disk_format", json::value("qcow2")).ok());
  EXPECT_TRUE(ValidateProperty("disk_format", json::value(nullptr)).ok());
  EXPECT_FALSE(ValidateProperty("disk_format", json::value("floppy")).ok());
  EXPECT_FALSE(ValidateProperty("min_ram", json::value("1")).ok());
  EXPECT_FALSE(ValidateProperty("min_ram", json::value(1.5)).ok());
  EXPECT_TRUE(ValidateProperty("kernel_id", json::value(nullptr)).ok());
  EXPECT_FALSE(ValidateProperty("kernel_id", json::value("not-a-uuid")).ok());
  EXPECT_FALSE(ValidateProperty("custom", json::value(42)).ok());
  EXPECT_FALSE(ValidateProperty("tags", json::array{json::value(1)}).ok());
  EXPECT_TRUE(IsReadOnlyProperty("os_hash_value"));
  EXPECT_TRUE(IsReservedProperty("os_glance_anything"));
  EXPECT_FALSE(IsReservedProperty("os_distro"));
}

TEST(ImageSchemaTest, StoresOnlyInMultiStoreSchema) {
  EXPECT_FALSE(ImageSchema(false).at("properties").as_object().contains("stores"));
  EXPECT_TRUE(ImageSchema(true).at("properties").as_object().contains("stores"));
  EXPECT_EQ(ImagesSchema(false).at("name").as_string(), "images");
}

// The two paged collections share Glance's shape: the array under the collection's
// own name, schema/first/next strings, and the first, next and describedby links.
TEST(ImageSchemaTest, CollectionsHaveGlancesShape) {
  for (auto [schema, name, item] : {std::tuple{ImagesSchema(true), "images", "image"},
                                    std::tuple{TasksSchema(), "tasks", "task"}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(schema.at("name").as_string(), name);
    const json::object& props = schema.at("properties").as_object();
    EXPECT_EQ(props.at(name).at("type").as_string(), "array");
    EXPECT_EQ(props.at(name).at("items").at("name").as_string(), item);
    for (const char* key : {"schema", "first", "next"}) {
      EXPECT_EQ(props.at(key).at("type").as_string(), "string") << key;
    }
    const json::array& links = schema.at("links").as_array();
    ASSERT_EQ(links.size(), 3u);
    EXPECT_EQ(links[2].at("rel").as_string(), "describedby");
    EXPECT_EQ(links[2].at("href").as_string(), "{schema}");
  }
}

TEST(EncodeQueryTest, LikePythonUrlencode) {
  EXPECT_EQ(EncodeQuery({{"name", "in:L-alpha,L-beta"}, {"limit", "2"}}),
            "name=in%3AL-alpha%2CL-beta&limit=2");
  EXPECT_EQ(EncodeQuery({{"a b", "c~d"}}), "a+b=c~d");
}

TEST(TokensFileTest, ParsesIdentities) {
  auto table = auth::ParseTokens(
      R"({"tokens": {"t1": {"project": "p1", "user": "u1", "roles": ["Admin", "member"]}}})");
  ASSERT_TRUE(table.ok()) << table.status();
  testing::TempDir dir;
  testing::WriteFile(dir.File("tokens.json"),
                     R"({"tokens": {"t1": {"project": "p1", "roles": ["Admin", "member"]},
                                    "t2": {"project": "p2"}}})");
  auto auth = auth::LoadTokensFile(dir.File("tokens.json"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  Result<Identity> t1 = (*auth)->Authenticate("t1");
  ASSERT_TRUE(t1.ok());
  EXPECT_TRUE(t1->is_admin);
  EXPECT_EQ(t1->project, "p1");
  EXPECT_EQ(t1->user, "p1-user");
  Result<Identity> t2 = (*auth)->Authenticate("t2");
  ASSERT_TRUE(t2.ok());
  EXPECT_FALSE(t2->is_admin);
  EXPECT_TRUE(t2->HasRole("member"));  // roles omitted: member, reader
  EXPECT_EQ((*auth)->Authenticate("nope").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ((*auth)->Authenticate("").status().code(), StatusCode::kUnauthenticated);
  for (const char* bad : {"[]", R"({"tokens": []})", R"({"tokens": {"t": {}}})",
                          R"({"tokens": {"t": {"project": 1}}})",
                          R"({"tokens": {"t": {"project": "p", "roles": "admin"}}})"}) {
    EXPECT_FALSE(auth::ParseTokens(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace imagefs::service::api
