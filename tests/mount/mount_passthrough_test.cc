// FUSE passthrough (docs/semantics.md §8): once an image is wholly cached and verified,
// later opens are read by the kernel straight from the cache file. Opens of every
// kind may mix on one inode, bytes stay exact, and the file is never evicted under a
// reader. Skipped where the kernel has no passthrough (before Linux 6.9).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <regex>

#include "tests/mount/mount_fixture.h"

namespace imagefs::fstest {
namespace {

constexpr size_t kMiB = 1 << 20;

class PassthroughTest : public MountTest {
 protected:
  // Mounts; false (the test skips) when the kernel did not take passthrough, or the
  // cache lives on a stacked filesystem, where backing files are refused (ELOOP).
  bool MountWithPassthrough(std::vector<std::string> options = {}) {
    struct statfs fs {};
    if (::statfs(cache_dir().c_str(), &fs) != 0 || fs.f_type == kOverlayMagic ||
        fs.f_type == kFuseMagic) {
      return false;
    }
    Mount(std::move(options));
    return mount().Log().find("FUSE passthrough on") != std::string::npos;
  }
  static constexpr decltype(statfs::f_type) kOverlayMagic = 0x794c7630;
  static constexpr decltype(statfs::f_type) kFuseMagic = 0x65735546;
  // "passthrough opens N" from the log the mount writes when it exits.
  int PassthroughOpensAtExit() {
    Status s = mount().Unmount();
    EXPECT_TRUE(s.ok()) << s;
    std::smatch m;
    std::string log = mount().Log();
    if (!std::regex_search(log, m, std::regex("passthrough opens ([0-9]+)"))) return -1;
    return std::stoi(m[1]);
  }
  // Bytes of `fd` read with pread at `offset`.
  static std::string PreadAt(int fd, uint64_t offset, size_t length) {
    std::string buf(length, '\0');
    ssize_t n = ::pread(fd, buf.data(), length, static_cast<off_t>(offset));
    buf.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return buf;
  }
};

#define IMAGEFS_REQUIRE_PASSTHROUGH(...)  \
  if (!MountWithPassthrough(__VA_ARGS__)) \
  GTEST_SKIP() << "no FUSE passthrough here (Linux 6.9+, cache not on overlayfs)"

// The first read verifies every block; the opens after it pass through, and read the
// same bytes, buffered, by mmap and with the service gone.
TEST_P(PassthroughTest, OpensAfterTheWholeImageIsVerifiedPassThrough) {
  std::string data = RandomData(4 * kMiB + 5, 21);
  server().AddImage("whole", data);
  IMAGEFS_REQUIRE_PASSTHROUGH();
  ASSERT_TRUE(ReadAll(Path("images/whole")) == data);  // cached mode: fetches, verifies
  ASSERT_TRUE(ReadAll(Path("images/whole")) == data);  // passthrough
  int fd = ::open(Path("images/whole").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  void* map = ::mmap(nullptr, data.size(), PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED) << strerror(errno);
  EXPECT_TRUE(std::string_view(static_cast<char*>(map), data.size()) == data);
  ::munmap(map, data.size());
  EXPECT_EQ(PreadAt(fd, data.size() - 3, 100), data.substr(data.size() - 3));
  EXPECT_EQ(PreadAt(fd, data.size(), 100), "");
  server().Stop();
  EXPECT_EQ(PreadAt(fd, 3 * kMiB + 1, kMiB), data.substr(3 * kMiB + 1, kMiB));
  ::close(fd);
  ASSERT_TRUE(server().Start().ok());
  EXPECT_EQ(PassthroughOpensAtExit(), 2);
}

// §7: a clean unmount seals the cache file, so after a remount the very first open
// passes through, with no request to the service; a file changed in between is
// checked again (ReadTest.CorruptCacheFileIsRefetched).
TEST_P(PassthroughTest, AfterACleanRemountTheFirstOpenPassesThrough) {
  std::string data = RandomData(3 * kMiB + 1, 27);
  server().AddImage("sealed", data);
  IMAGEFS_REQUIRE_PASSTHROUGH();
  ASSERT_TRUE(ReadAll(Path("images/sealed")) == data);
  Unmount();
  std::optional<uint64_t> before = server().DataRequests();
  Mount();
  EXPECT_TRUE(ReadAll(Path("images/sealed")) == data);
  if (before) {
    EXPECT_EQ(*server().DataRequests(), *before);
  }
  EXPECT_EQ(PassthroughOpensAtExit(), 1);
}

// A part-cached image is never passed through: its opens stay in this process.
TEST_P(PassthroughTest, PartlyCachedImageStaysCached) {
  std::string data = RandomData(16 * kMiB, 22);
  server().AddImage("part", data);
  IMAGEFS_REQUIRE_PASSTHROUGH();
  for (uint64_t offset : {8 * kMiB + 100, 3 * kMiB + 5}) {  // small, far apart: no read-ahead
    int fd = ::open(Path("images/part").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(PreadAt(fd, offset, 4096), data.substr(offset, 4096));
    ::close(fd);
  }
  EXPECT_EQ(PassthroughOpensAtExit(), 0);
}

// The kernel keeps an inode in one I/O mode: an open made while a cached-mode open
// lives must stay cached (a passthrough reply would fail it with EIO), and once one
// passes through, every later buffered open must too. O_DIRECT opens take no side.
TEST_P(PassthroughTest, OpensOfEveryKindMixOnOneImage) {
  std::string data = RandomData(3 * kMiB + 11, 23);
  server().AddImage("mixed", data);
  IMAGEFS_REQUIRE_PASSTHROUGH();
  std::string path = Path("images/mixed");
  int cached = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(cached, 0);
  ASSERT_EQ(PreadAt(cached, 0, data.size()), data);  // whole and verified now
  int second = ::open(path.c_str(), O_RDONLY);       // `cached` still open: cached too
  ASSERT_GE(second, 0) << strerror(errno);
  EXPECT_EQ(PreadAt(second, kMiB, kMiB), data.substr(kMiB, kMiB));
  ::close(cached);
  ::close(second);

  int through = ::open(path.c_str(), O_RDONLY);  // passes through
  ASSERT_GE(through, 0) << strerror(errno);
  int direct = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(direct, 0) << strerror(errno);
  int another = ::open(path.c_str(), O_RDONLY);  // must pass through as well
  ASSERT_GE(another, 0) << strerror(errno);
  void* mem = nullptr;
  ASSERT_EQ(::posix_memalign(&mem, 4096, kMiB), 0);
  ASSERT_EQ(::pread(direct, mem, kMiB, static_cast<off_t>(2 * kMiB)), static_cast<ssize_t>(kMiB));
  EXPECT_TRUE(std::string_view(static_cast<char*>(mem), kMiB) ==
              std::string_view(data).substr(2 * kMiB, kMiB));
  std::free(mem);
  EXPECT_EQ(PreadAt(through, 5, 4096), data.substr(5, 4096));
  EXPECT_EQ(PreadAt(another, data.size() - 11, 4096), data.substr(data.size() - 11));
  ::close(through);
  ::close(another);
  ::close(direct);
  ASSERT_TRUE(ReadAll(path) == data);  // and after they all closed, again
  EXPECT_EQ(PassthroughOpensAtExit(), 3);
}

// The cache never punches a hole under a file the kernel reads: a passthrough open
// pins its image, even when other reads need more room than the cache has.
TEST_P(PassthroughTest, PassedThroughImageIsNotEvictedUnderItsReader) {
  std::string small = RandomData(4 * kMiB, 24);
  std::string big = RandomData(24 * kMiB, 25);
  server().AddImage("small", small);
  server().AddImage("big", big);
  IMAGEFS_REQUIRE_PASSTHROUGH({"cache_size=12M", "cache_min_free=0"});
  ASSERT_TRUE(ReadAll(Path("images/small")) == small);
  int fd = ::open(Path("images/small").c_str(), O_RDONLY);  // passes through, pins
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(ReadAll(Path("images/big")) == big);  // evicts all it can, twice over
  EXPECT_EQ(PreadAt(fd, 0, small.size()), small);
  ::close(fd);
  ASSERT_TRUE(ReadAll(Path("images/big")) == big);  // `small` may go now
  EXPECT_EQ(PassthroughOpensAtExit(), 1);
}

// -o nopassthrough keeps every read in this process.
TEST_P(PassthroughTest, NoPassthroughOptionTurnsItOff) {
  std::string data = RandomData(2 * kMiB, 26);
  server().AddImage("off", data);
  Mount({"nopassthrough"});
  EXPECT_EQ(mount().Log().find("FUSE passthrough on"), std::string::npos);
  ASSERT_TRUE(ReadAll(Path("images/off")) == data);
  ASSERT_TRUE(ReadAll(Path("images/off")) == data);
  EXPECT_EQ(PassthroughOpensAtExit(), 0);
}

INSTANTIATE_TEST_SUITE_P(Servers, PassthroughTest, ::testing::ValuesIn(AllServers()), PrintName);

}  // namespace
}  // namespace imagefs::fstest
