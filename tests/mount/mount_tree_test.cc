// The tree: names, attributes, freshness, refusals (docs/semantics.md §1, §2, §3, §4, §6).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include "tests/mount/mount_fixture.h"

namespace imagefs::fstest {
namespace {

using std::chrono::steady_clock;

// Polls `cond` for up to `limit`.
bool Eventually(const std::function<bool()>& cond,
                std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto end = steady_clock::now() + limit;
  while (!cond()) {
    if (steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class TreeTest : public MountTest {};

// §2: images/<name> and by-id/<id> are one inode with two names.
TEST_P(TreeTest, ImagesAndByIdShowTheSameInode) {
  std::string id = server().AddImage("cirros", RandomData(1000, 1));
  Mount();
  EXPECT_EQ(ListDir(mount().path()),
            (std::vector<std::string>{"backups", "by-id", "images", "members"}));
  EXPECT_EQ(ListDir(Path("images")), std::vector<std::string>{"cirros"});
  EXPECT_EQ(ListDir(Path("by-id")), std::vector<std::string>{id});
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(Path("images/cirros").c_str(), &a), 0);
  ASSERT_EQ(::stat(Path("by-id/" + id).c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
}

// §4: size, mode, mtime = updated_at, owner = the mounting user.
TEST_P(TreeTest, StatShowsSizeModeAndUpdatedAt) {
  std::string id = server().AddImage("disk", RandomData(3 * 1048576 + 7, 2));
  Mount();
  struct stat st {};
  ASSERT_EQ(::stat(Path("images/disk").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3 * 1048576 + 7);
  EXPECT_EQ(st.st_mode, S_IFREG | 0444);
  EXPECT_EQ(st.st_uid, ::getuid());
  auto shown = server().Show(id);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(st.st_mtime, shown->updated_at / 1000000);
  ASSERT_EQ(::stat(Path("images").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 0755);  // writable for restores (§12)
  ASSERT_EQ(::stat(Path("by-id").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 0555);
}

// §2: '/', '%', empty names, "..", clashes.
TEST_P(TreeTest, NamesAreEscapedAndDisambiguated) {
  std::string slash = server().AddImage("a/b", "1");
  std::string percent = server().AddImage("50%", "2");
  std::string empty = server().AddImage("", "3");
  std::string none = server().AddImage(std::nullopt, "4");
  std::string dots = server().AddImage("..", "5");
  std::string twin1 = server().AddImage("twin", "6");
  std::string twin2 = server().AddImage("twin", "7");
  Mount();
  std::vector<std::string> want = {"%2E%2E",
                                   "50%25",
                                   "a%2Fb",
                                   empty,
                                   none,
                                   "twin~" + twin1.substr(0, 8),
                                   "twin~" + twin2.substr(0, 8)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ListDir(Path("images")), want);
  EXPECT_EQ(ReadAll(Path("images/a%2Fb")), "1");
  EXPECT_EQ(ReadAll(Path("images/twin~" + twin2.substr(0, 8))), "7");
}

// §6: a new image shows up once the listing is older than list_ttl.
TEST_P(TreeTest, NewImagesAppearAfterTheListTtl) {
  server().AddImage("first", "x");
  Mount({"list_ttl=200ms", "attr_ttl=100ms"});
  EXPECT_EQ(ListDir(Path("images")), std::vector<std::string>{"first"});
  server().AddImage("second", "y");
  EXPECT_TRUE(Eventually([&] { return ListDir(Path("images")).size() == 2; }));
  EXPECT_EQ(ReadAll(Path("images/second")), "y");
}

// §6: the kernel is told when a name it remembers as missing appears.
TEST_P(TreeTest, ACachedMissIsDroppedWhenTheImageAppears) {
  server().AddImage("first", "x");
  Mount({"list_ttl=100ms", "attr_ttl=30s"});
  EXPECT_EQ(ErrnoOf([&] { return ::access(Path("images/late").c_str(), F_OK); }), ENOENT);
  server().AddImage("late", "y");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ListDir(Path("images"));  // refreshes, and invalidates the cached miss
  EXPECT_TRUE(Eventually([&] { return ::access(Path("images/late").c_str(), F_OK) == 0; },
                         std::chrono::seconds(3)));
}

// §6: deletions are caught by the periodic full listing.
TEST_P(TreeTest, DeletedImagesDisappearAfterTheResync) {
  IMAGEFS_REQUIRE_FAKE(fake);
  std::string id = server().AddImage("doomed", "x");
  server().AddImage("stays", "y");
  Mount({"list_ttl=100ms", "attr_ttl=100ms", "resync_interval=500ms"});
  ASSERT_EQ(ListDir(Path("images")).size(), 2u);
  fake->RemoveImage(id);
  EXPECT_TRUE(Eventually([&] { return ListDir(Path("images")).size() == 1; }));
  EXPECT_EQ(ErrnoOf([&] { return ::access(Path("by-id/" + id).c_str(), F_OK); }), ENOENT);
}

// §2: by-id/<uuid> of an image missing from the listing is looked up by id.
TEST_P(TreeTest, UnlistedImageIsReachableById) {
  IMAGEFS_REQUIRE_FAKE(fake);
  std::string id = server().AddImage("hidden", "secret");
  fake->Mutate(id, [](wire::Image& i) { i.os_hidden = true; });
  Mount();
  EXPECT_TRUE(ListDir(Path("images")).empty());
  EXPECT_EQ(ReadAll(Path("by-id/" + id)), "secret");
  struct stat st {};
  ASSERT_EQ(::stat(Path("by-id/" + id).c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(ErrnoOf([&] {
              return ::access(Path("by-id/00000000-0000-0000-0000-000000000000").c_str(), F_OK);
            }),
            ENOENT);
}

// §4: only active images are readable.
TEST_P(TreeTest, DeactivatedImagesAreUnreadable) {
  IMAGEFS_REQUIRE_FAKE(fake);
  std::string id = server().AddImage("off", "data");
  fake->Mutate(id, [](wire::Image& i) { i.status = wire::ImageStatus::kDeactivated; });
  Mount();
  struct stat st {};
  ASSERT_EQ(::stat(Path("images/off").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFREG | 0000);
  EXPECT_EQ(st.st_size, 0);
  // Root passes the permission bits; the mount itself refuses.
  EXPECT_EQ(ErrnoOf([&] { return ::open(Path("images/off").c_str(), O_RDONLY); }), EACCES);
}

// §3: the tree is read-only in this version.
TEST_P(TreeTest, WritesAreRefused) {
  server().AddImage("ro", "data");
  Mount();
  EXPECT_EQ(ErrnoOf([&] { return ::open(Path("images/ro").c_str(), O_WRONLY); }), EACCES);
  EXPECT_EQ(ErrnoOf([&] { return ::unlink(Path("images/ro").c_str()); }), EROFS);
  EXPECT_EQ(ErrnoOf([&] { return ::mkdir(Path("images/x").c_str(), 0755); }), EROFS);
  EXPECT_EQ(ErrnoOf([&] { return ::open(Path("images/new").c_str(), O_CREAT | O_WRONLY, 0644); }),
            EROFS);
  EXPECT_EQ(ErrnoOf([&] { return ::rename(Path("images/ro").c_str(), Path("images/rw").c_str()); }),
            EROFS);
  EXPECT_EQ(ErrnoOf([&] { return ::chmod(Path("images/ro").c_str(), 0644); }), EROFS);
}

// §6: `ls -l` of many images costs a handful of list requests, not one per image.
TEST_P(TreeTest, ListingManyImagesTakesFewRequests) {
  IMAGEFS_REQUIRE_FAKE(fake);
  for (int i = 0; i < 2500; ++i) fake->AddImage("img-" + std::to_string(i), "x");
  Mount();
  uint64_t before = *server().ListRequests();
  auto start = steady_clock::now();
  ASSERT_EQ(std::system(("ls -l " + Path("images") + " > /dev/null").c_str()), 0);
  auto took = steady_clock::now() - start;
  EXPECT_EQ(ListDir(Path("images")).size(), 2500u);
  EXPECT_LE(*server().ListRequests() - before, 6u);
  EXPECT_EQ(fake->Count(RequestKind::kShow), 0u);
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_P(TreeTest, StatfsCountsImages) {
  server().AddImage("one", RandomData(5000, 3));
  Mount();
  struct statvfs st {};
  ASSERT_EQ(::statvfs(mount().path().c_str(), &st), 0);
  EXPECT_EQ(st.f_namemax, 255u);
  EXPECT_GE(st.f_files, 1u);
}

INSTANTIATE_TEST_SUITE_P(Servers, TreeTest, ::testing::ValuesIn(AllServers()), PrintName);

}  // namespace
}  // namespace imagefs::fstest
