#include "fs/image_fs.h"

#include <fcntl.h>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/testing/fs/fake_catalog_client.h"
#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fs {
namespace {

class ImageFsTest : public ::testing::Test {
 protected:
  void Start() {
    cache::DiskBlockCacheOptions o;
    o.dir = dir_.File("cache");
    o.min_free_bytes = 0;
    cache_ = std::move(*cache::OpenDiskBlockCache(o));
    ImageFsOptions fo;
    fo.uid = 1000;
    fo.gid = 100;
    fs_ = std::make_unique<ImageFs>(fo, client_, *cache_, nullptr, SystemClock::Get());
    fs_->Start(&notifier_);
  }
  uint64_t InoOf(const std::string& name) { return fs_->Lookup(kImagesDirIno, name)->ino; }
  std::vector<std::string> List(uint64_t dir) {
    uint64_t h = *fs_->OpenDir(dir);
    std::vector<std::string> names;
    EXPECT_TRUE(fs_->ReadDir(h, 0, true,
                             [&](const DirItem& it) {
                               names.emplace_back(it.name);
                               return true;
                             })
                    .ok());
    fs_->ReleaseDir(h);
    return names;
  }

  fstest::TempDir dir_;
  fstest::FakeCatalogClient client_;
  NullNotifier notifier_;
  std::unique_ptr<cache::BlockCache> cache_;
  std::unique_ptr<ImageFs> fs_;
};

TEST_F(ImageFsTest, AttributesFollowTheImage) {
  std::string id = client_.AddImage("disk", std::string(5000, 'x'));
  Start();
  auto a = fs_->Lookup(kImagesDirIno, "disk");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->mode, S_IFREG | 0444);
  EXPECT_EQ(a->size, 5000u);
  EXPECT_EQ(a->nlink, 2u);
  EXPECT_EQ(a->uid, 1000u);
  EXPECT_EQ(fs_->Lookup(kByIdDirIno, id)->ino, a->ino);
  EXPECT_EQ(fs_->GetAttr(kRootIno)->mode, S_IFDIR | 0555);
  EXPECT_EQ(fs_->Lookup(kImagesDirIno, "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_->Lookup(kByIdDirIno, "not-a-uuid").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client_.get_calls(), 0u);
}

TEST_F(ImageFsTest, ReaddirPagesThroughOneSnapshot) {
  for (int i = 0; i < 5; ++i) client_.AddImage("img" + std::to_string(i), "x");
  Start();
  EXPECT_EQ(List(kImagesDirIno),
            (std::vector<std::string>{".", "..", "img0", "img1", "img2", "img3", "img4"}));
  uint64_t h = *fs_->OpenDir(kImagesDirIno);
  std::vector<std::string> rest;
  ASSERT_TRUE(fs_->ReadDir(h, 4, false,
                           [&](const DirItem& it) {
                             rest.emplace_back(it.name);
                             return true;
                           })
                  .ok());
  fs_->ReleaseDir(h);
  EXPECT_EQ(rest, (std::vector<std::string>{"img2", "img3", "img4"}));
}

TEST_F(ImageFsTest, OnlyActiveImagesOpenAndOnlyForReading) {
  std::string id = client_.AddImage("img", "data");
  wire::Image queued;
  queued.id = "00000000-0000-0000-0000-00000000000q";
  queued.name = "queued";
  client_.PutImage(queued);
  Start();
  EXPECT_EQ(fs_->Open(InoOf("img"), O_WRONLY).status().code(), StatusCode::kPermissionDenied);
  auto q = fs_->Lookup(kImagesDirIno, "queued");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->mode, S_IFREG | 0000);
  EXPECT_EQ(fs_->Open(q->ino, O_RDONLY).status().code(), StatusCode::kPermissionDenied);
  auto f = fs_->Open(InoOf("img"), O_RDONLY);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->keep_cache);
  auto r = fs_->Read(f->fh, 0, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size, 4u);
  fs_->Release(f->fh);
}

TEST_F(ImageFsTest, XattrEditsShowAtOnce) {
  client_.AddImage("old", "data");
  Start();
  uint64_t ino = InoOf("old");
  ASSERT_TRUE(fs_->SetXattr(ino, "user.x-image-meta-name", "new", 0).ok());
  EXPECT_TRUE(fs_->Lookup(kImagesDirIno, "new").ok());
  EXPECT_EQ(fs_->Lookup(kImagesDirIno, "old").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs_->SetXattr(ino, "user.x-image-meta-property-k", "v", 0).ok());
  EXPECT_EQ(*fs_->GetXattr(ino, "user.x-image-meta-property-k"), "v");
  ASSERT_TRUE(fs_->RemoveXattr(ino, "user.x-image-meta-property-k").ok());
  EXPECT_EQ(fs_->GetXattr(ino, "user.x-image-meta-property-k").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ImageFsTest, ForeignXattrsNeverReachTheService) {
  client_.AddImage("img", "data");
  Start();
  uint64_t ino = InoOf("img");
  // Unsupported (ENOTSUP), not absent: `ls -l` stops asking after one answer.
  EXPECT_EQ(fs_->GetXattr(ino, "security.selinux").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(fs_->GetXattr(ino, "system.posix_acl_access").status().code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(fs_->GetXattr(ino, "trusted.x").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(fs_->SetXattr(ino, "security.selinux", "x", 0).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(fs_->RemoveXattr(ino, "system.posix_acl_access").code(), StatusCode::kUnimplemented);
  EXPECT_EQ(fs_->GetXattr(kRootIno, "security.selinux").status().code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(fs_->GetXattr(kRootIno, "user.x-image-meta-name").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(client_.patch_calls(), 0u);
  EXPECT_EQ(client_.get_calls(), 0u);
}

TEST_F(ImageFsTest, UnknownUuidsAreLookedUpById) {
  wire::Image hidden;
  hidden.id = "11111111-2222-3333-4444-555555555555";
  hidden.os_hidden = true;
  hidden.status = wire::ImageStatus::kActive;
  client_.PutImage(hidden);
  Start();
  auto a = fs_->Lookup(kByIdDirIno, hidden.id);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->nlink, 1u);
  EXPECT_EQ(client_.get_calls(), 1u);
}

}  // namespace
}  // namespace imagefs::fs
