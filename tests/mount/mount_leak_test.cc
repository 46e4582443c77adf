// The mount's part of the leak test (docs/semantics.md §11): a stranger project's
// mount sees nothing of a private image or of a shared image it is not a member of,
// in images/, by-id/ (ENOENT, exactly as for an id that does not exist), members/ and
// backups/.
#include <algorithm>

#include "tests/mount/mount_fixture.h"
#include "tests/mount/ns_helpers.h"

namespace imagefs::fstest {
namespace {

class MountLeakTest : public ProjectsTest {};

TEST_F(MountLeakTest, StrangerSeesNothing) {
  std::string priv = CreateImage("A", "secret-private", "p-bytes", "private");
  std::string shared = CreateImage("A", "secret-shared", "s-bytes", "shared");
  auto added = Call("A", "POST", "/v2/images/" + shared + "/members", R"({"member": "projB"})");
  ASSERT_EQ(added.status, 200) << added.body;
  auto accepted = Call("B", "PUT", "/v2/images/" + shared + "/members/projB",
                       R"({"status": "accepted"})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  auto backup = Call("A", "POST", "/v3/projA/backups",
                     R"({"backup": {"volume_id": ")" + priv + R"(", "name": "secret-backup"}})");
  ASSERT_EQ(backup.status, 202) << backup.body;

  MountedFs* b_mount = MountAs("B");
  ASSERT_NE(b_mount, nullptr);
  MountedFs& b = *b_mount;
  MountedFs* c_mount = MountAs("C");
  ASSERT_NE(c_mount, nullptr);
  MountedFs& c = *c_mount;
  // The member does see the shared image (so the stranger's view is not just empty
  // for want of a listing).
  ASSERT_TRUE(WaitFor([&] {
    auto names = ListDir(b.Path("images"));
    return std::find(names.begin(), names.end(), "secret-shared") != names.end();
  }));

  const std::string missing = "6f1c2a8e-0000-4000-8000-0000000000aa";
  EXPECT_EQ(Exists(c.Path("by-id/" + missing)), ENOENT);
  for (const std::string& id : {priv, shared}) {
    EXPECT_EQ(Exists(c.Path("by-id/" + id)), ENOENT) << id;
    EXPECT_EQ(Exists(c.Path("members/" + id)), ENOENT) << id;
    EXPECT_EQ(Touch(c.Path("members/" + id + "/projC")), ENOENT) << id;
  }
  EXPECT_TRUE(ListDir(c.Path("images")).empty());
  EXPECT_TRUE(ListDir(c.Path("by-id")).empty());
  EXPECT_TRUE(ListDir(c.Path("members")).empty());
  EXPECT_TRUE(ListDir(c.Path("backups")).empty());
  // Nor does the member see the owner's backup or the private image.
  EXPECT_EQ(Exists(b.Path("by-id/" + priv)), ENOENT);
  EXPECT_TRUE(ListDir(b.Path("backups")).empty());
  // The member sees only its own membership row.
  auto rows = ListDir(b.Path("members/" + shared));
  EXPECT_EQ(rows, std::vector<std::string>{"projB"});
}

}  // namespace
}  // namespace imagefs::fstest
