// backups/ (docs/semantics.md §12) on the real imaged: ls, read (cmp with the image,
// also after the image is gone), xattrs, ln both ways, rm, and the refusals.
#include <sys/xattr.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "tests/mount/mount_fixture.h"
#include "tests/mount/ns_helpers.h"

namespace imagefs::fstest {
namespace {

bool Has(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

int Link(const std::string& from, const std::string& to) {
  return ErrnoOf([&] { return ::link(from.c_str(), to.c_str()); });
}

int Unlink(const std::string& path) {
  return ErrnoOf([&] { return ::unlink(path.c_str()); });
}

class MountBackupsTest : public ProjectsTest {};

TEST_F(MountBackupsTest, TakeReadRestoreDelete) {
  std::string data = RandomData((5 << 20) + 12345, 7);
  std::string id = CreateImage("A", "disk", data);
  MountedFs* a_mount = MountAs("A");
  ASSERT_NE(a_mount, nullptr);
  MountedFs& a = *a_mount;
  ASSERT_TRUE(WaitFor([&] { return Exists(a.Path("images/disk")) == 0; }));
  EXPECT_TRUE(ListDir(a.Path("backups")).empty());

  // ln images/disk backups/nightly takes a backup and waits for it.
  ASSERT_EQ(Link(a.Path("images/disk"), a.Path("backups/nightly")), 0);
  EXPECT_EQ(ListDir(a.Path("backups")), std::vector<std::string>{"nightly"});
  struct stat st {};
  ASSERT_EQ(::stat(a.Path("backups/nightly").c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), data.size());
  EXPECT_EQ(st.st_mode & 0777, 0444u);

  // Its fields as xattrs.
  EXPECT_EQ(GetX(a.Path("backups/nightly"), "user.x-backup-meta-status"), "available");
  EXPECT_EQ(GetX(a.Path("backups/nightly"), "user.x-backup-meta-volume_id"), id);
  EXPECT_EQ(GetX(a.Path("backups/nightly"), "user.x-backup-meta-name"), "nightly");
  EXPECT_EQ(GetX(a.Path("backups/nightly"), "user.x-backup-meta-imagefs:size_bytes"),
            std::to_string(data.size()));
  EXPECT_EQ(GetX(a.Path("backups/nightly"), "user.x-backup-meta-is_incremental"), "false");
  int err = 0;
  GetX(a.Path("backups/nightly"), "user.x-backup-meta-nothing", &err);
  EXPECT_EQ(err, ENODATA);
  char names[8192];
  ssize_t n = ::listxattr(a.Path("backups/nightly").c_str(), names, sizeof names);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(names, static_cast<size_t>(n)).find("user.x-backup-meta-container"),
            std::string::npos);
  EXPECT_EQ(SetX(a.Path("backups/nightly"), "user.x-backup-meta-name", "x"), EPERM);

  // The bytes come from the backup store, not from its image: read them (the first
  // read) once the image is gone.
  ASSERT_EQ(Call("A", "DELETE", "/v2/images/" + id).status, 204);
  EXPECT_EQ(ReadAll(a.Path("backups/nightly")), data);

  // ln backups/nightly images/restored restores it to a new image.
  ASSERT_EQ(Link(a.Path("backups/nightly"), a.Path("images/restored")), 0);
  EXPECT_TRUE(Has(ListDir(a.Path("images")), "restored"));
  EXPECT_EQ(ReadAll(a.Path("images/restored")), data);


  // rm deletes it.
  ASSERT_EQ(Unlink(a.Path("backups/nightly")), 0);
  EXPECT_FALSE(Has(ListDir(a.Path("backups")), "nightly"));
  EXPECT_EQ(Unlink(a.Path("backups/nightly")), ENOENT);
}

// A backup's bytes are verified against its block map and kept in the block cache:
// a remount reads them with no data request, and a damaged cache file is detected
// and the block fetched again.
TEST_F(MountBackupsTest, ReadsAreVerifiedAndCached) {
  std::string data = RandomData((3 << 20) + 777, 11);
  CreateImage("A", "disk", data);
  MountedFs* a = MountAs("A");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Exists(a->Path("images/disk")) == 0; }));
  ASSERT_EQ(Link(a->Path("images/disk"), a->Path("backups/weekly")), 0);
  const std::string kBackupData = "/backups/{backup_id}/data ";  // imaged's request log
  uint64_t before = LogCount(kBackupData);
  EXPECT_EQ(ReadAll(a->Path("backups/weekly")), data);
  uint64_t first = LogCount(kBackupData);
  EXPECT_GT(first, before);

  UnmountAs("A");
  a = MountAs("A");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Exists(a->Path("backups/weekly")) == 0; }));
  EXPECT_EQ(ReadAll(a->Path("backups/weekly")), data);
  EXPECT_EQ(LogCount(kBackupData), first) << "the remount read the backup again";

  // Damage every cached copy of the backup's second block; the next mount must not
  // serve it.
  std::string cache = CacheDirOf("A");
  UnmountAs("A");
  int damaged = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache)) {
    if (e.is_regular_file() && e.path().extension() == ".data") {
      int fd = ::open(e.path().c_str(), O_WRONLY);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(::pwrite(fd, "garbage!", 8, (1 << 20) + 100), 8);
      ::close(fd);
      ++damaged;
    }
  }
  ASSERT_GE(damaged, 1);
  a = MountAs("A");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Exists(a->Path("backups/weekly")) == 0; }));
  EXPECT_EQ(ReadAll(a->Path("backups/weekly")), data);
  EXPECT_GT(LogCount(kBackupData), first) << "the damaged block was not fetched again";
}

TEST_F(MountBackupsTest, Refusals) {
  std::string data = RandomData(1 << 20, 9);
  std::string id = CreateImage("A", "disk", data);
  MountedFs* a_mount = MountAs("A");
  ASSERT_NE(a_mount, nullptr);
  MountedFs& a = *a_mount;
  ASSERT_TRUE(WaitFor([&] { return Exists(a.Path("images/disk")) == 0; }));
  ASSERT_EQ(Link(a.Path("images/disk"), a.Path("backups/full")), 0);
  // A taken name: EEXIST (the kernel's answer, as the entry exists).
  EXPECT_EQ(Link(a.Path("images/disk"), a.Path("backups/full")), EEXIST);
  // A restore onto an existing image name: EEXIST.
  EXPECT_EQ(Link(a.Path("backups/full"), a.Path("images/disk")), EEXIST);
  // Links elsewhere: EROFS.
  EXPECT_EQ(Link(a.Path("images/disk"), a.Path("images/other")), EROFS);
  EXPECT_EQ(Link(a.Path("backups/full"), a.Path("backups/again")), EROFS);
  EXPECT_EQ(Touch(a.Path("backups/new")), EROFS);
  EXPECT_EQ(ErrnoOf([&] { return ::mkdir(a.Path("backups/d").c_str(), 0755); }), EROFS);

  // An incremental backup depends on it: rm is EBUSY until the incremental goes.
  auto inc = Call("A", "POST", "/v3/projA/backups",
                  R"({"backup": {"volume_id": ")" + id + R"(", "name": "inc", "incremental": true}})");
  ASSERT_EQ(inc.status, 202) << inc.body;
  ASSERT_TRUE(WaitFor([&] {
    return GetX(a.Path("backups/inc"), "user.x-backup-meta-status") == "available";
  }));
  EXPECT_EQ(GetX(a.Path("backups/full"), "user.x-backup-meta-has_dependent_backups"), "true");
  EXPECT_EQ(Unlink(a.Path("backups/full")), EBUSY);
  EXPECT_TRUE(Has(ListDir(a.Path("backups")), "full"));
  ASSERT_EQ(Unlink(a.Path("backups/inc")), 0);
  EXPECT_TRUE(WaitFor([&] { return Unlink(a.Path("backups/full")) == 0; }));

  // An image that is not active cannot be backed up (the service's 400): EINVAL.
  auto queued = Call("A", "POST", "/v2/images",
                     R"({"name": "empty", "disk_format": "raw", "container_format": "bare"})");
  ASSERT_EQ(queued.status, 201) << queued.body;
  ASSERT_TRUE(WaitFor([&] { return Exists(a.Path("images/empty")) == 0; }));
  EXPECT_EQ(Link(a.Path("images/empty"), a.Path("backups/of-empty")), EINVAL);

  // Same names are told apart as in images/.
  ASSERT_EQ(Link(a.Path("images/disk"), a.Path("backups/twin")), 0);
  auto second = Call("A", "POST", "/v3/projA/backups",
                     R"({"backup": {"volume_id": ")" + id + R"(", "name": "twin"}})");
  ASSERT_EQ(second.status, 202) << second.body;
  EXPECT_TRUE(WaitFor([&] {
    auto names = ListDir(a.Path("backups"));
    return names.size() == 2 && names[0].rfind("twin~", 0) == 0 && names[1].rfind("twin~", 0) == 0;
  }));
}

}  // namespace
}  // namespace imagefs::fstest
