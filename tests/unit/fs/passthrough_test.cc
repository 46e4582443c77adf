// PassthroughOpens: the I/O mode of each open, the rules the kernel holds an inode to
// (fs/passthrough.h), against a real DiskBlockCache and a recording fake kernel.
#include "fs/passthrough.h"

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cache/disk_block_cache.h"
#include "tests/testing/cache/fake_image.h"
#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fs {
namespace {

using cache::testing::FakeImage;
using cache::testing::FaultyFetcher;

class FakeKernel final : public KernelPassthrough {
 public:
  bool Available() const override { return available; }
  Result<int> OpenBacking(int fd) override {
    if (refuse) return PermissionDenied("no CAP_SYS_ADMIN");
    EXPECT_GE(fd, 0);
    open_ids.insert(++last_id);
    ++opened;
    return last_id;
  }
  void CloseBacking(int id) override { EXPECT_EQ(open_ids.erase(id), 1u) << id; }

  bool available = true;
  bool refuse = false;
  int last_id = 0;
  int opened = 0;
  std::set<int> open_ids;
};

class PassthroughOpensTest : public ::testing::Test {
 protected:
  PassthroughOpensTest() : image_("img", 4 * 4096 + 10, 4096), fetcher_(image_) {
    cache::DiskBlockCacheConfig config;
    config.options.dir = dir_.path() + "/cache";
    config.options.min_free_bytes = 0;
    config.flush_interval = std::chrono::milliseconds(0);
    cache_ = *cache::DiskBlockCache::Open(config, SystemClock::Get());
    opens_ = std::make_unique<PassthroughOpens>(*cache_);
    opens_->SetKernel(&kernel_);
  }

  void CacheWholeImage() {
    for (uint64_t i = 0; i < image_.layout().BlockCount(); ++i) {
      ASSERT_TRUE(cache_->Get(image_.layout(), i, 1, fetcher_.fn()).ok());
    }
  }
  IoChoice Open(int flags = O_RDONLY) { return opens_->Open(7, &image_.layout(), flags); }

  fstest::TempDir dir_;
  FakeImage image_;
  FaultyFetcher fetcher_;
  std::unique_ptr<cache::DiskBlockCache> cache_;
  FakeKernel kernel_;
  std::unique_ptr<PassthroughOpens> opens_;
};

TEST_F(PassthroughOpensTest, ImageNotWhollyCachedIsCached) {
  ASSERT_TRUE(cache_->Get(image_.layout(), 0, 1, fetcher_.fn()).ok());
  IoChoice c = Open();
  EXPECT_EQ(c.mode, IoMode::kCached);
  EXPECT_FALSE(c.direct_io);
  opens_->Release(7, c.mode);
  EXPECT_EQ(kernel_.opened, 0);
}

TEST_F(PassthroughOpensTest, WholeImagePassesThroughOneBackingForAllOpens) {
  CacheWholeImage();
  IoChoice a = Open();
  IoChoice b = Open();
  ASSERT_EQ(a.mode, IoMode::kPassthrough);
  ASSERT_EQ(b.mode, IoMode::kPassthrough);
  EXPECT_GT(a.backing_id, 0);
  EXPECT_EQ(a.backing_id, b.backing_id);
  EXPECT_EQ(kernel_.opened, 1);
  opens_->Release(7, a.mode);
  EXPECT_EQ(kernel_.open_ids.size(), 1u);  // b still reads through it
  opens_->Release(7, b.mode);
  EXPECT_TRUE(kernel_.open_ids.empty());
  EXPECT_EQ(opens_->passthrough_opens(), 2u);
}

TEST_F(PassthroughOpensTest, LiveCachedOpenKeepsNewOpensCached) {
  CacheWholeImage();
  ASSERT_TRUE(kernel_.available);
  kernel_.available = false;
  IoChoice cached = Open();  // before passthrough was possible
  kernel_.available = true;
  ASSERT_EQ(cached.mode, IoMode::kCached);
  auto t0 = std::chrono::steady_clock::now();
  IoChoice next = Open();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, PassthroughOpens::kReleaseGrace);
  EXPECT_EQ(next.mode, IoMode::kCached);
  opens_->Release(7, cached.mode);
  opens_->Release(7, next.mode);
  EXPECT_EQ(Open().mode, IoMode::kPassthrough);  // and once they are gone, it passes
}

TEST_F(PassthroughOpensTest, ReleaseArrivingWithinTheGraceLetsTheOpenPassThrough) {
  CacheWholeImage();
  kernel_.available = false;
  IoChoice cached = Open();
  kernel_.available = true;
  std::thread late([&] {
    std::this_thread::sleep_for(PassthroughOpens::kReleaseGrace / 4);
    opens_->Release(7, cached.mode);
  });
  IoChoice next = Open();
  late.join();
  EXPECT_EQ(next.mode, IoMode::kPassthrough);
}

TEST_F(PassthroughOpensTest, DirectOpensTakeNoSideUnlessTheInodePassesThrough) {
  CacheWholeImage();
  IoChoice direct = Open(O_RDONLY | O_DIRECT);
  EXPECT_EQ(direct.mode, IoMode::kNone);
  EXPECT_TRUE(direct.direct_io);
  IoChoice through = Open();  // the direct open does not stand in its way
  ASSERT_EQ(through.mode, IoMode::kPassthrough);
  IoChoice direct2 = Open(O_RDONLY | O_DIRECT);
  EXPECT_EQ(direct2.mode, IoMode::kPassthrough);
  EXPECT_TRUE(direct2.direct_io);
  EXPECT_EQ(direct2.backing_id, through.backing_id);
  opens_->Release(7, through.mode);
  EXPECT_EQ(kernel_.open_ids.size(), 1u);  // direct2 names it still
  opens_->Release(7, direct2.mode);
  opens_->Release(7, direct.mode);
  EXPECT_TRUE(kernel_.open_ids.empty());
}

TEST_F(PassthroughOpensTest, WithoutKernelSupportEverythingIsCachedAndDirectIsPlain) {
  CacheWholeImage();
  kernel_.available = false;
  EXPECT_EQ(Open().mode, IoMode::kCached);
  IoChoice direct = Open(O_RDONLY | O_DIRECT);
  EXPECT_FALSE(direct.direct_io);  // exactly as without passthrough
}

TEST_F(PassthroughOpensTest, RefusedBackingStopsFurtherTries) {
  CacheWholeImage();
  kernel_.refuse = true;
  EXPECT_EQ(Open().mode, IoMode::kCached);
  kernel_.refuse = false;
  EXPECT_EQ(Open().mode, IoMode::kCached);
  EXPECT_EQ(kernel_.opened, 0);
}

TEST_F(PassthroughOpensTest, NoLayoutNeverPassesThrough) {
  CacheWholeImage();
  IoChoice c = opens_->Open(8, nullptr, O_RDONLY);
  EXPECT_EQ(c.mode, IoMode::kCached);
  opens_->Release(8, c.mode);
}

}  // namespace
}  // namespace imagefs::fs
