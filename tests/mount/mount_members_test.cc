// members/ (docs/semantics.md §11) with two mounts of two projects on the real imaged:
// share by touch, accept by setfattr, the image appears in the member's images/ and
// reads its bytes; rm in the owner's mount, and it disappears. Every refusal's errno.
#include <sys/xattr.h>

#include <algorithm>

#include "tests/mount/mount_fixture.h"
#include "tests/mount/ns_helpers.h"

namespace imagefs::fstest {
namespace {

constexpr char kStatus[] = "user.x-image-meta-member-status";

bool Has(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

class MountMembersTest : public ProjectsTest {};

TEST_F(MountMembersTest, ShareAcceptReadRemove) {
  std::string data = RandomData(3 << 20, 41);
  std::string id = CreateImage("A", "shared-img", data, "shared");
  MountedFs* a_mount = MountAs("A");
  ASSERT_NE(a_mount, nullptr);
  MountedFs& a = *a_mount;
  MountedFs* b_mount = MountAs("B");
  ASSERT_NE(b_mount, nullptr);
  MountedFs& b = *b_mount;

  // The owner sees its shared image, with no members yet.
  ASSERT_TRUE(WaitFor([&] { return Has(ListDir(a.Path("members")), id); }));
  EXPECT_TRUE(ListDir(a.Path("members/" + id)).empty());
  EXPECT_FALSE(Has(ListDir(b.Path("members")), id)) << "not a member yet";

  // touch adds projB, pending.
  ASSERT_EQ(Touch(a.Path("members/" + id + "/projB")), 0);
  EXPECT_EQ(ListDir(a.Path("members/" + id)), std::vector<std::string>{"projB"});
  EXPECT_EQ(GetX(a.Path("members/" + id + "/projB"), kStatus), "pending");
  // touch again on an existing member is fine (it only opens it); O_EXCL is EEXIST.
  EXPECT_EQ(Touch(a.Path("members/" + id + "/projB")), 0);
  EXPECT_EQ(Touch(a.Path("members/" + id + "/projB"), O_EXCL), EEXIST);

  // The member sees its membership, pending; not yet in images/.
  ASSERT_TRUE(WaitFor([&] { return Has(ListDir(b.Path("members")), id); }));
  EXPECT_EQ(GetX(b.Path("members/" + id + "/projB"), kStatus), "pending");
  EXPECT_FALSE(Has(ListDir(b.Path("images")), "shared-img"));

  // Refusals: the owner may not answer for the member; the member may not add or
  // remove members; a status must be one of the three.
  EXPECT_EQ(SetX(a.Path("members/" + id + "/projB"), kStatus, "accepted"), EACCES);
  EXPECT_EQ(Touch(b.Path("members/" + id + "/projC")), EACCES);
  EXPECT_EQ(ErrnoOf([&] { return ::unlink(b.Path("members/" + id + "/projB").c_str()); }),
            EACCES);
  EXPECT_EQ(SetX(b.Path("members/" + id + "/projB"), kStatus, "maybe"), EINVAL);
  EXPECT_EQ(SetX(b.Path("members/" + id + "/projB"), "user.x-image-meta-other", "x"), ENOTSUP);

  // Accept: the image is in images/ at once, with the owner's bytes.
  ASSERT_EQ(SetX(b.Path("members/" + id + "/projB"), kStatus, "accepted"), 0);
  EXPECT_EQ(GetX(b.Path("members/" + id + "/projB"), kStatus), "accepted");
  // At once (the bound only covers a listing already in flight when it changed).
  EXPECT_TRUE(WaitFor([&] { return Has(ListDir(b.Path("images")), "shared-img"); }, 3));
  EXPECT_EQ(ReadAll(b.Path("images/shared-img")), data);
  EXPECT_EQ(ReadAll(b.Path("by-id/" + id)), data);
  // The owner reads the member's answer.
  EXPECT_TRUE(WaitFor([&] {
    return GetX(a.Path("members/" + id + "/projB"), kStatus) == "accepted";
  }));

  // Reject: it leaves images/ at once; accept again brings it back.
  ASSERT_EQ(SetX(b.Path("members/" + id + "/projB"), kStatus, "rejected"), 0);
  EXPECT_TRUE(WaitFor([&] { return !Has(ListDir(b.Path("images")), "shared-img"); }, 3));
  EXPECT_EQ(Exists(b.Path("images/shared-img")), ENOENT);
  ASSERT_EQ(SetX(b.Path("members/" + id + "/projB"), kStatus, "accepted"), 0);
  EXPECT_TRUE(WaitFor([&] { return Has(ListDir(b.Path("images")), "shared-img"); }, 3));

  // The owner removes the member: gone from both members/ and the member's images/.
  ASSERT_EQ(ErrnoOf([&] { return ::unlink(a.Path("members/" + id + "/projB").c_str()); }), 0);
  EXPECT_TRUE(ListDir(a.Path("members/" + id)).empty());
  EXPECT_EQ(ErrnoOf([&] { return ::unlink(a.Path("members/" + id + "/projB").c_str()); }),
            ENOENT);
  EXPECT_TRUE(WaitFor([&] { return !Has(ListDir(b.Path("images")), "shared-img"); }));
  EXPECT_TRUE(WaitFor([&] { return !Has(ListDir(b.Path("members")), id); }));
  EXPECT_EQ(Exists(b.Path("by-id/" + id)), ENOENT);
}

TEST_F(MountMembersTest, RefusalsOutsideSharedImages) {
  std::string priv = CreateImage("A", "private-img", "p", "private");
  MountedFs* a_mount = MountAs("A");
  ASSERT_NE(a_mount, nullptr);
  MountedFs& a = *a_mount;
  // A private image has no members directory; an unknown image neither.
  EXPECT_EQ(Exists(a.Path("members/" + priv)), ENOENT);
  EXPECT_EQ(Touch(a.Path("members/" + priv + "/projB")), ENOENT);
  EXPECT_EQ(Exists(a.Path("members/00000000-0000-4000-8000-000000000000")), ENOENT);
  // members/ itself takes no files, and images/ still takes no writes.
  EXPECT_EQ(Touch(a.Path("members/x")), EROFS);
  EXPECT_EQ(Touch(a.Path("images/new")), EROFS);
  EXPECT_EQ(ErrnoOf([&] { return ::unlink(a.Path("images/private-img").c_str()); }), EROFS);

  // Adding an existing member races a stale listing: EEXIST from the service.
  std::string shared = CreateImage("A", "s", "s", "shared");
  ASSERT_TRUE(WaitFor([&] { return Exists(a.Path("members/" + shared)) == 0; }));
  ASSERT_EQ(ListDir(a.Path("members/" + shared)).size(), 0u);
  auto added = Call("A", "POST", "/v2/images/" + shared + "/members", R"({"member": "projC"})");
  ASSERT_EQ(added.status, 200) << added.body;
  // The mount's listing is at most list_ttl old; a create through a cached miss is EEXIST.
  int err = ErrnoOf([&] {
    int fd = ::open(a.Path("members/" + shared + "/projC").c_str(), O_WRONLY | O_CREAT | O_EXCL,
                    0644);
    if (fd >= 0) ::close(fd);
    return fd;
  });
  EXPECT_EQ(err, EEXIST);
}

}  // namespace
}  // namespace imagefs::fstest
