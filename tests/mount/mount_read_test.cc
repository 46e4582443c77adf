// Reading: exact bytes at any offset and size, O_DIRECT, the persistent verified cache,
// read-through without digests, bounded memory (docs/semantics.md §7, §8).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include <sys/stat.h>

#include "tests/mount/mount_fixture.h"

namespace imagefs::fstest {
namespace {

constexpr size_t kMiB = 1 << 20;

class ReadTest : public MountTest {};

// §8: cp of images of awkward sizes gives the exact bytes.
TEST_P(ReadTest, CopiesAreExactForAwkwardSizes) {
  std::vector<size_t> sizes = {0, 1, kMiB - 1, kMiB, 3 * kMiB + 7};
  std::vector<std::string> data;
  for (size_t i = 0; i < sizes.size(); ++i) {
    data.push_back(RandomData(sizes[i], static_cast<uint32_t>(i + 10)));
    server().AddImage("size-" + std::to_string(sizes[i]), data.back());
  }
  Mount();
  TempDir out("imagefs-cp");
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string name = "size-" + std::to_string(sizes[i]);
    std::string cmd = "cp " + Path("images/" + name) + " " + out.File(name);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_TRUE(ReadAll(out.File(name)) == data[i]) << name;
  }
}

// §8: any offset and size, buffered and O_DIRECT (QEMU probes with 1-byte reads).
TEST_P(ReadTest, ReadsAnyOffsetAndSizeBufferedAndDirect) {
  std::string data = RandomData(5 * kMiB + 123, 4);
  server().AddImage("disk", data);
  Mount();
  std::string path = Path("images/disk");
  int buffered = ::open(path.c_str(), O_RDONLY);
  int direct = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(buffered, 0);
  ASSERT_GE(direct, 0) << strerror(errno);
  void* mem = nullptr;
  ASSERT_EQ(::posix_memalign(&mem, 4096, 2 * kMiB), 0);
  auto* buf = static_cast<char*>(mem);
  std::mt19937 rng(7);
  std::vector<std::pair<uint64_t, size_t>> reads = {
      {0, 1}, {0, 512}, {1, 4095}, {kMiB - 1, 2}, {data.size() - 1, 10}, {data.size(), 10}};
  for (int i = 0; i < 40; ++i) reads.push_back({rng() % data.size(), 1 + rng() % (2 * kMiB)});
  for (auto [off, len] : reads) {
    for (int fd : {buffered, direct}) {
      ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
      size_t want = off >= data.size() ? 0 : std::min(len, data.size() - off);
      ASSERT_EQ(n, static_cast<ssize_t>(want)) << "off " << off << " len " << len << " fd " << fd;
      ASSERT_TRUE(std::string_view(buf, want) == std::string_view(data).substr(off, want))
          << "off " << off << " len " << len;
    }
  }
  std::free(mem);
  ::close(buffered);
  ::close(direct);
}

// §7: the cache survives a remount: the second mount reads without data requests.
TEST_P(ReadTest, CacheSurvivesRemount) {
  std::string data = RandomData(4 * kMiB + 5, 5);
  std::string id = server().AddImage("persist", data);
  Mount();
  ASSERT_TRUE(ReadAll(Path("images/persist")) == data);
  Unmount();
  std::optional<uint64_t> before = server().DataRequests();
  Mount();
  EXPECT_TRUE(ReadAll(Path("by-id/" + id)) == data);
  if (before) {
    EXPECT_EQ(*server().DataRequests(), *before);
  }
}

// §7: a damaged cache file is detected and the block fetched again, never served.
TEST_P(ReadTest, CorruptCacheFileIsRefetched) {
  std::string data = RandomData(3 * kMiB, 6);
  server().AddImage("fragile", data);
  Mount();
  ASSERT_TRUE(ReadAll(Path("images/fragile")) == data);
  Unmount();
  int damaged = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache_dir())) {
    if (e.is_regular_file() && e.path().extension() == ".data") {
      int fd = ::open(e.path().c_str(), O_WRONLY);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(::pwrite(fd, "garbage!", 8, kMiB + 100), 8);
      ::close(fd);
      ++damaged;
    }
  }
  ASSERT_EQ(damaged, 1);
  std::optional<uint64_t> before = server().DataRequests();
  Mount();
  EXPECT_TRUE(ReadAll(Path("images/fragile")) == data);
  if (before) {
    EXPECT_GT(*server().DataRequests(), *before);
  }
}

// §7, §8: bytes that fail verification are fetched again; a second failure is EIO.
// Whichever check applies: the recorded CRC-32C (the default), SHA-256 when the map
// has no CRCs, SHA-256 when the mount asks for it.
TEST_P(ReadTest, CorruptTransferIsNeverServed) {
  IMAGEFS_REQUIRE_FAKE(fake);
  server().AddImage("wire", RandomData(kMiB, 8));
  struct Case {
    FakeImaged::BlocksFault blocks;
    std::vector<std::string> options;
  };
  for (const Case& c : {Case{FakeImaged::BlocksFault::kNone, {}},
                        Case{FakeImaged::BlocksFault::kNoCrcs, {}},
                        Case{FakeImaged::BlocksFault::kNone, {"verify=sha256"}}}) {
    SCOPED_TRACE(static_cast<int>(c.blocks) + 10 * static_cast<int>(c.options.size()));
    Unmount();
    std::filesystem::remove_all(cache_dir());
    fake->SetBlocksFault(c.blocks);
    fake->SetCorruptFiles(true);
    Mount(c.options);
    int err = 0;
    ReadDirect(Path("images/wire"), kMiB, &err);
    EXPECT_EQ(err, EIO);
    fake->SetCorruptFiles(false);
    EXPECT_EQ(ReadDirect(Path("images/wire"), kMiB, &err).size(), kMiB);
    EXPECT_EQ(err, 0);
  }
}

// §9: FUSE's own max_read option mounts (libfuse refuses the mount unless init()
// asks for the same size) and caps the kernel's read requests, bytes unchanged.
TEST_P(ReadTest, MaxReadOptionMountsAndReadsRight) {
  std::string data = RandomData(3 * kMiB + 17, 10);
  server().AddImage("capped", data);
  Mount({"max_read=131072"});
  EXPECT_TRUE(ReadAll(Path("images/capped")) == data);
}

// §7: with the recorded CRC-32Cs the mount checks fetched blocks by them, and with
// verify=sha256 by the SHA-256 digests. A map whose digests are all wrong but whose
// CRCs are right tells the two apart.
TEST_P(ReadTest, VerifyOptionChoosesTheCheck) {
  IMAGEFS_REQUIRE_FAKE(fake);
  std::string data = RandomData(2 * kMiB + 5, 9);
  server().AddImage("checked", data);
  fake->SetBlocksFault(FakeImaged::BlocksFault::kWrongDigests);
  Mount();
  EXPECT_TRUE(ReadAll(Path("images/checked")) == data);
  Unmount();
  std::filesystem::remove_all(cache_dir());
  Mount({"verify=sha256"});
  int err = 0;
  ReadDirect(Path("images/checked"), kMiB, &err);
  EXPECT_EQ(err, EIO);
}

// §8: 8 concurrent readers keep imagefs within its memory budget.
TEST_P(ReadTest, MemoryStaysBoundedWithEightReaders) {
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) {
    names.push_back("big-" + std::to_string(i));
    server().AddImage(names.back(), RandomData(48 * kMiB, 100 + i));
  }
  Mount({"max_inflight=32M", "fetch_run=4M"});
  std::atomic<bool> done{false};
  uint64_t peak = 0;
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak, mount().RssBytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::vector<std::thread> readers;
  std::atomic<int> good{0};
  for (const auto& n : names) {
    readers.emplace_back([&, n] {
      int err = 0;
      if (ReadDirect(Path("images/" + n), kMiB, &err).size() == 48 * kMiB) ++good;
    });
  }
  for (auto& t : readers) t.join();
  done = true;
  sampler.join();
  EXPECT_EQ(good.load(), 8);
  // Budget 32 MiB of fetches + FUSE buffers + caches; far below 8 x 48 MiB.
  RecordProperty("peak_rss_mib", std::to_string(peak >> 20));
  std::printf("imagefs peak RSS with 8 readers: %llu MiB\n",
              static_cast<unsigned long long>(peak >> 20));
#if defined(__SANITIZE_ADDRESS__)
  // ASan's quarantine and shadow memory inflate RSS; the bound only holds in plain builds.
  (void)peak;
#else
  EXPECT_LT(peak, uint64_t{200} << 20) << "peak RSS " << (peak >> 20) << " MiB";
#endif
}

INSTANTIATE_TEST_SUITE_P(Servers, ReadTest, ::testing::ValuesIn(AllServers()), PrintName);

// §8 degraded mode: a service without /blocks (plain Glance) is read through.
class ReadThroughTest : public MountTest {};

TEST_P(ReadThroughTest, ReadsExactBytesAndCachesNothingOnDisk) {
  std::string data = RandomData(3 * kMiB + 7, 9);
  server().AddImage("glance", data);
  Mount();
  EXPECT_TRUE(ReadAll(Path("images/glance")) == data);
  int err = 0;
  EXPECT_TRUE(ReadDirect(Path("images/glance"), 65536, &err) == data);
  Unmount();
  std::optional<uint64_t> before = server().DataRequests();
  Mount();
  EXPECT_TRUE(ReadAll(Path("images/glance")) == data);
  if (before) {
    EXPECT_GT(*server().DataRequests(), *before);
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, ReadThroughTest, ::testing::Values(FakeImagedServer(false)),
                         PrintName);

}  // namespace
}  // namespace imagefs::fstest
