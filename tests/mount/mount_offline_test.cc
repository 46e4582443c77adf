// The service goes away (docs/semantics.md §6, §7).
#include <unistd.h>

#include <chrono>
#include <thread>

#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/mount/mount_fixture.h"

namespace imagefs::fstest {
namespace {

using std::chrono::steady_clock;
constexpr size_t kMiB = 1 << 20;

class OfflineTest : public MountTest {};

// §6: cached blocks keep being served; misses fail with EIO within the retry
// deadline; metadata answers from memory; everything recovers when the service returns.
TEST_P(OfflineTest, CachedReadsWorkMissesFailThenRecover) {
  std::string cached = RandomData(2 * kMiB, 1);
  std::string uncached = RandomData(2 * kMiB, 2);
  server().AddImage("cached", cached);
  std::string uncached_id = server().AddImage("uncached", uncached);
  Mount({"retry_deadline=2s", "list_ttl=100ms", "attr_ttl=100ms"});
  ASSERT_TRUE(ReadAll(Path("images/cached")) == cached);
  server().Stop();

  int err = 0;
  EXPECT_TRUE(ReadDirect(Path("images/cached"), kMiB, &err) == cached);  // from the cache
  EXPECT_EQ(err, 0);
  auto start = steady_clock::now();
  ReadDirect(Path("images/uncached"), kMiB, &err);
  auto took = steady_clock::now() - start;
  EXPECT_EQ(err, EIO);
  EXPECT_LT(took, std::chrono::seconds(8));

  // Metadata answers from what the mount knows, quickly.
  start = steady_clock::now();
  EXPECT_EQ(ListDir(Path("images")).size(), 2u);
  struct stat st {};
  EXPECT_EQ(::stat(Path("by-id/" + uncached_id).c_str(), &st), 0);
  char buf[256];
  EXPECT_GT(::getxattr(Path("images/cached").c_str(), "user.x-image-meta-name", buf, sizeof buf),
            0);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(3));

  ASSERT_TRUE(server().Start().ok());
  EXPECT_TRUE(ReadDirect(Path("images/uncached"), kMiB, &err) == uncached);
  EXPECT_EQ(err, 0);
}

// §6: a read that starts while the service is down succeeds if it returns in time.
TEST_P(OfflineTest, ReadRidesOutAShortOutage) {
  std::string data = RandomData(kMiB, 3);
  server().AddImage("blip", data);
  Mount({"retry_deadline=10s"});
  ASSERT_EQ(ListDir(Path("images")).size(), 1u);
  server().Stop();
  int err = -1;
  std::string got;
  // The read runs on its own thread: the restart stays on the test's thread (imaged
  // dies with the thread that started it, PR_SET_PDEATHSIG).
  std::thread reader([&] { got = ReadDirect(Path("images/blip"), kMiB, &err); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_TRUE(server().Start().ok());
  reader.join();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(err, 0) << mount().Log();
}

// §7: a remount while the service is down lists the last known catalog and reads
// what is cached.
TEST_P(OfflineTest, RemountWhileDownServesTheLastListingAndCachedData) {
  std::string data = RandomData(kMiB + 3, 4);
  server().AddImage("kept", data);
  server().AddImage("never-read", RandomData(10, 5));
  Mount();
  ASSERT_TRUE(ReadAll(Path("images/kept")) == data);
  Unmount();
  server().Stop();
  Mount({"retry_deadline=1s"});
  EXPECT_EQ(ListDir(Path("images")), (std::vector<std::string>{"kept", "never-read"}));
  EXPECT_TRUE(ReadAll(Path("images/kept")) == data);
  int err = 0;
  ReadDirect(Path("images/never-read"), 4096, &err);
  EXPECT_EQ(err, EIO);
}

INSTANTIATE_TEST_SUITE_P(Servers, OfflineTest, ::testing::ValuesIn(AllServers()), PrintName);

}  // namespace
}  // namespace imagefs::fstest
