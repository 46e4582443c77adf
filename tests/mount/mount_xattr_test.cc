// Extended attributes (docs/semantics.md §5).
#include <array>
#include <cstdio>

#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/mount/mount_fixture.h"

namespace imagefs::fstest {
namespace {

std::string Get(const std::string& path, const std::string& name, int* err = nullptr) {
  std::array<char, 65536> buf{};
  ssize_t n = ::getxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
  if (err != nullptr) *err = n < 0 ? errno : 0;
  return n < 0 ? "" : std::string(buf.data(), static_cast<size_t>(n));
}

int Set(const std::string& path, const std::string& name, const std::string& value, int flags = 0) {
  return ErrnoOf(
      [&] { return ::setxattr(path.c_str(), name.c_str(), value.data(), value.size(), flags); });
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

class XattrTest : public MountTest {
 protected:
  void SetUp() override {
    MountTest::SetUp();
    if (IsSkipped()) return;
    id_ = server().AddImage("base", "bytes");
    Mount();
    file_ = Path("images/base");
  }
  std::string id_;
  std::string file_;
};

// §5: getfattr -d lists the core fields and the properties.
TEST_P(XattrTest, DumpListsCoreFields) {
  std::string dump = Shell("getfattr -d " + file_ + " 2>&1");
  for (const char* field : {"name=\"base\"", "status=\"active\"", "size=\"5\"",
                            "disk_format=\"raw\"", "visibility=", "protected=\"false\"",
                            "os_hash_algo=\"sha512\"", "updated_at=", "min_ram=\"0\""}) {
    EXPECT_NE(dump.find(std::string("user.x-image-meta-") + field), std::string::npos)
        << field << " in " << dump;
  }
  EXPECT_EQ(Get(file_, "user.x-image-meta-id"), id_);
}

// §5: writable fields change the image through the API, visible at once both ways.
TEST_P(XattrTest, SetUpdatesTheImage) {
  EXPECT_EQ(Set(file_, "user.x-image-meta-min_ram", "512"), 0);
  EXPECT_EQ(Set(file_, "user.x-image-meta-protected", "true"), 0);
  EXPECT_EQ(Set(file_, "user.x-image-meta-tags", "a, b,c"), 0);
  EXPECT_EQ(Set(file_, "user.x-image-meta-property-os_distro", "debian"), 0);
  auto shown = server().Show(id_);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->min_ram, 512);
  EXPECT_TRUE(shown->is_protected);
  EXPECT_EQ(shown->tags, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(shown->properties.at("os_distro"), "debian");
  EXPECT_EQ(Get(file_, "user.x-image-meta-min_ram"), "512");
  EXPECT_EQ(Get(file_, "user.x-image-meta-tags"), "a,b,c");
  EXPECT_EQ(Get(file_, "user.x-image-meta-property-os_distro"), "debian");
}

// §5, §2: renaming through the name attribute moves the entry at once.
TEST_P(XattrTest, SettingTheNameRenamesTheEntry) {
  EXPECT_EQ(Set(file_, "user.x-image-meta-name", "renamed"), 0);
  EXPECT_EQ(ListDir(Path("images")), std::vector<std::string>{"renamed"});
  EXPECT_EQ(ReadAll(Path("images/renamed")), "bytes");
  EXPECT_EQ(ErrnoOf([&] { return ::access(file_.c_str(), F_OK); }), ENOENT);
}

// §5: setfattr -x removes a property; removing it again is ENODATA.
TEST_P(XattrTest, RemoveDeletesAProperty) {
  ASSERT_EQ(Set(file_, "user.x-image-meta-property-color", "red"), 0);
  EXPECT_EQ(
      ErrnoOf([&] { return ::removexattr(file_.c_str(), "user.x-image-meta-property-color"); }), 0);
  EXPECT_EQ(server().Show(id_)->properties.count("color"), 0u);
  int err = 0;
  Get(file_, "user.x-image-meta-property-color", &err);
  EXPECT_EQ(err, ENODATA);
  EXPECT_EQ(
      ErrnoOf([&] { return ::removexattr(file_.c_str(), "user.x-image-meta-property-color"); }),
      ENODATA);
}

// §5 errno table.
TEST_P(XattrTest, RefusalsHaveClearErrnos) {
  EXPECT_EQ(Set(file_, "user.x-image-meta-size", "1"), EPERM);  // read-only field
  EXPECT_EQ(Set(file_, "user.x-image-meta-status", "queued"), EPERM);
  EXPECT_EQ(Set(file_, "user.x-image-meta-min_disk", "-3"), EINVAL);  // bad value
  EXPECT_EQ(Set(file_, "user.x-image-meta-protected", "maybe"), EINVAL);
  EXPECT_EQ(Set(file_, "user.x-image-meta-disk_format", "qcow2"), EACCES);  // server 403
  EXPECT_EQ(Set(file_, "user.other", "x"), ENOTSUP);                        // not stored
  EXPECT_EQ(Set(file_, "user.x-image-meta-name", "x", XATTR_CREATE), EEXIST);
  EXPECT_EQ(Set(file_, "user.x-image-meta-property-new", "x", XATTR_REPLACE), ENODATA);
  EXPECT_EQ(ErrnoOf([&] { return ::removexattr(file_.c_str(), "user.x-image-meta-name"); }), EPERM);
  int err = 0;
  std::array<char, 2> tiny{};
  EXPECT_EQ(ErrnoOf([&] {
              return static_cast<int>(
                  ::getxattr(file_.c_str(), "user.x-image-meta-name", tiny.data(), tiny.size()));
            }),
            ERANGE);
  Get(file_, "user.x-image-meta-nonsense", &err);
  EXPECT_EQ(err, ENODATA);
}

// §5: security.*/system.*/trusted.* are answered at once, without asking the
// service, as unsupported (ENOTSUP): a filesystem without labels or ACLs.
TEST_P(XattrTest, ForeignNamespacesNeedNoRequest) {
  IMAGEFS_REQUIRE_FAKE(fake);
  uint64_t before = fake->Count(RequestKind::kShow) + fake->Count(RequestKind::kPatch);
  int err = 0;
  Get(file_, "security.selinux", &err);
  EXPECT_EQ(err, ENOTSUP);
  Get(file_, "system.posix_acl_access", &err);
  EXPECT_EQ(err, ENOTSUP);
  Get(file_, "trusted.overlay.opaque", &err);
  EXPECT_EQ(err, ENOTSUP);
  Get(Path("images"), "security.selinux", &err);
  EXPECT_EQ(err, ENOTSUP);
  EXPECT_EQ(::removexattr(file_.c_str(), "security.selinux") == 0 ? 0 : errno, ENOTSUP);
  EXPECT_EQ(Set(file_, "security.selinux", "system_u:object_r:virt_image_t:s0"), ENOTSUP);
  EXPECT_EQ(fake->Count(RequestKind::kShow) + fake->Count(RequestKind::kPatch), before);
}

INSTANTIATE_TEST_SUITE_P(Servers, XattrTest, ::testing::ValuesIn(AllServers()), PrintName);

}  // namespace
}  // namespace imagefs::fstest
