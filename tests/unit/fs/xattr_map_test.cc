#include "fs/xattr_map.h"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <sys/xattr.h>

#include "common/wire/image_codec.h"

namespace imagefs::fs {
namespace {

wire::Image SampleImage() {
  wire::Image i;
  i.id = "8f1a7c3e-1111-2222-3333-444455556666";
  i.name = "cirros";
  i.status = wire::ImageStatus::kActive;
  i.visibility = wire::Visibility::kPrivate;
  i.size = 1024;
  i.checksum = "abc";
  i.disk_format = "qcow2";
  i.container_format = "bare";
  i.min_ram = 64;
  i.tags = {"x", "y"};
  i.properties = {{"os_distro", "cirros"}, {"a/b", "slash"}};
  i.updated_at = 1'700'000'000'000'000;
  return i;
}

std::string Json(const std::string& body) {
  auto v = wire::ParseJson(body);
  return v.ok() ? boost::json::serialize(*v) : "<bad json>";
}

TEST(XattrMapTest, ListsCoreFieldsWithValuesThenProperties) {
  auto names = ListXattrNames(SampleImage());
  EXPECT_EQ(names.front(), "user.x-image-meta-id");
  EXPECT_NE(std::find(names.begin(), names.end(), "user.x-image-meta-tags"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "user.x-image-meta-os_hash_value"), names.end());
  EXPECT_EQ(names.back(), "user.x-image-meta-property-os_distro");
}

TEST(XattrMapTest, ValuesAreRenderedAsText) {
  wire::Image i = SampleImage();
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-name"), "cirros");
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-size"), "1024");
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-protected"), "false");
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-visibility"), "private");
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-tags"), "x,y");
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-updated_at"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(*GetXattr(i, "user.x-image-meta-property-a/b"), "slash");
  EXPECT_EQ(GetXattr(i, "user.x-image-meta-os_hash_value").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetXattr(i, "user.x-image-meta-property-nope").status().code(), StatusCode::kNotFound);
}

TEST(XattrMapTest, WritableFieldsBecomeReplaceOps) {
  wire::Image i = SampleImage();
  EXPECT_EQ(Json(*PlanSetXattr(i, "user.x-image-meta-name", "new", 0)),
            R"([{"op":"replace","path":"/name","value":"new"}])");
  EXPECT_EQ(Json(*PlanSetXattr(i, "user.x-image-meta-protected", "Yes", 0)),
            R"([{"op":"replace","path":"/protected","value":true}])");
  EXPECT_EQ(Json(*PlanSetXattr(i, "user.x-image-meta-min_disk", "20", 0)),
            R"([{"op":"replace","path":"/min_disk","value":20}])");
  EXPECT_EQ(Json(*PlanSetXattr(i, "user.x-image-meta-tags", " a, b ,,c", 0)),
            R"([{"op":"replace","path":"/tags","value":["a","b","c"]}])");
  EXPECT_EQ(Json(*PlanSetXattr(i, "user.x-image-meta-visibility", "public", 0)),
            R"([{"op":"replace","path":"/visibility","value":"public"}])");
}

TEST(XattrMapTest, PropertiesBecomeAddOpsWithEscapedPaths) {
  wire::Image i = SampleImage();
  EXPECT_EQ(Json(*PlanSetXattr(i, "user.x-image-meta-property-hw/disk~bus", "virtio", 0)),
            R"([{"op":"add","path":"/hw~1disk~0bus","value":"virtio"}])");
  EXPECT_EQ(Json(*PlanRemoveXattr(i, "user.x-image-meta-property-os_distro")),
            R"([{"op":"remove","path":"/os_distro"}])");
}

TEST(XattrMapTest, RefusalsCarryTheirCodes) {
  wire::Image i = SampleImage();
  auto code = [&](std::string_view name, std::string_view value, int flags = 0) {
    return PlanSetXattr(i, name, value, flags).status().code();
  };
  EXPECT_EQ(code("user.x-image-meta-size", "1"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code("user.x-image-meta-id", "x"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code("user.x-image-meta-min_ram", "-1"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.x-image-meta-min_ram", "12MB"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.x-image-meta-protected", "maybe"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.x-image-meta-visibility", "secret"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.x-image-meta-property-name", "x"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.x-image-meta-property-", "x"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.x-image-meta-property-k", "\xff\xfe"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("user.comment", "x"), StatusCode::kUnimplemented);
  EXPECT_EQ(code("user.x-image-meta-nonsense", "x"), StatusCode::kUnimplemented);
  EXPECT_EQ(code("user.x-image-meta-name", "x", XATTR_CREATE), StatusCode::kAlreadyExists);
  EXPECT_EQ(code("user.x-image-meta-property-os_distro", "x", XATTR_CREATE),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(code("user.x-image-meta-property-new", "x", XATTR_REPLACE), StatusCode::kNotFound);
  EXPECT_TRUE(PlanSetXattr(i, "user.x-image-meta-property-new", "x", XATTR_CREATE).ok());
  EXPECT_EQ(PlanRemoveXattr(i, "user.x-image-meta-name").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlanRemoveXattr(i, "user.x-image-meta-property-gone").status().code(),
            StatusCode::kNotFound);
}

TEST(XattrMapTest, ForeignNamespacesAreRecognised) {
  EXPECT_TRUE(IsForeignNamespace("security.selinux"));
  EXPECT_TRUE(IsForeignNamespace("system.posix_acl_access"));
  EXPECT_TRUE(IsForeignNamespace("trusted.overlay.opaque"));
  EXPECT_FALSE(IsForeignNamespace("user.x-image-meta-name"));
}

TEST(XattrMapTest, BoolValues) {
  for (auto t : {"true", "TRUE", "yes", "on", "1"}) EXPECT_TRUE(*ParseBoolValue(t)) << t;
  for (auto f : {"false", "No", "off", "0"}) EXPECT_FALSE(*ParseBoolValue(f)) << f;
  EXPECT_FALSE(ParseBoolValue("").ok());
}

}  // namespace
}  // namespace imagefs::fs
