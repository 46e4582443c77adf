// packaging/mount.imagefs: what mount(8) and fstab run (docs/semantics.md §9).
#include <unistd.h>

#include <chrono>
#include <thread>

#include <sys/statfs.h>
#include <sys/wait.h>

#include "tests/mount/mount_fixture.h"

namespace imagefs::fstest {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;

bool IsFuse(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == kFuseSuperMagic;
}

class MountHelperTest : public MountTest {
 protected:
  void TearDown() override {
    if (mounted_ && IsFuse(mnt_->File("m"))) {
      std::system(("fusermount3 -u -z " + mnt_->File("m") + " 2>/dev/null").c_str());
    }
    MountTest::TearDown();
  }
  std::unique_ptr<TempDir> mnt_ = std::make_unique<TempDir>("imagefs-helper");
  bool mounted_ = false;
};

// §9: the helper drops mount(8)-only options, reads the token from a file, and
// returns only once the mount is live; fusermount3 -u ends it.
TEST_P(MountHelperTest, MountsWithFstabStyleOptions) {
  server().AddImage("via-helper", "hello");
  std::string mp = mnt_->File("m");
  ASSERT_EQ(::mkdir(mp.c_str(), 0755), 0);
  std::string token_file = mnt_->File("token");
  ASSERT_EQ(std::system(("echo " + server().token() + " > " + token_file).c_str()), 0);
  std::string cmd = std::string("IMAGEFS_BIN=") + IMAGEFS_BINARY + " sh " + IMAGEFS_MOUNT_HELPER +
                    " " + server().url() + " " + mp +
                    " -o defaults,_netdev,nofail,x-systemd.automount" +
                    ",token_file=" + token_file + ",cache_dir=" + cache_dir() +
                    ",log_file=" + mnt_->File("log") + " -n";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  mounted_ = true;
  EXPECT_TRUE(IsFuse(mp));  // live as soon as the helper returned
  EXPECT_EQ(ReadAll(mp + "/images/via-helper"), "hello");
  ASSERT_EQ(std::system(("fusermount3 -u " + mp).c_str()), 0);
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (IsFuse(mp) && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(IsFuse(mp));
}

TEST_P(MountHelperTest, BadOptionsFailWithoutMounting) {
  std::string mp = mnt_->File("m");
  ASSERT_EQ(::mkdir(mp.c_str(), 0755), 0);
  std::string cmd = std::string("IMAGEFS_BIN=") + IMAGEFS_BINARY + " sh " + IMAGEFS_MOUNT_HELPER +
                    " " + server().url() + " " + mp + " -o cache_size=lots 2>/dev/null";
  int rc = std::system(cmd.c_str());
  EXPECT_NE(WEXITSTATUS(rc), 0);
  EXPECT_FALSE(IsFuse(mp));
}

INSTANTIATE_TEST_SUITE_P(Servers, MountHelperTest, ::testing::ValuesIn(AllServers()), PrintName);

}  // namespace
}  // namespace imagefs::fstest
