#include "fs/readahead.h"

#include <gtest/gtest.h>

namespace imagefs::fs {
namespace {

constexpr uint64_t kMiB = 1 << 20;

ReadaheadConfig Config() { return {kMiB, 8 * kMiB, 8 * kMiB, kMiB}; }

TEST(ReadaheadTest, StreamFromOffsetZeroOpensTheInitialWindow) {
  ReadaheadWindow w(Config());
  auto d = w.OnRead(0, 131072);
  EXPECT_TRUE(d.sequential);
  EXPECT_EQ(d.ahead_begin, 131072u);
  EXPECT_EQ(d.ahead_end, 131072u + kMiB);
}

TEST(ReadaheadTest, FirstReadElsewhereIsRandom) {
  ReadaheadWindow w(Config());
  auto d = w.OnRead(100 * kMiB, 4096);
  EXPECT_FALSE(d.sequential);
  EXPECT_EQ(d.ahead_begin, d.ahead_end);
}

TEST(ReadaheadTest, SequentialReadsDoubleTheWindowUpToTheMax) {
  ReadaheadWindow w(Config());
  std::vector<uint64_t> windows;
  for (uint64_t off = 0; off < 10 * kMiB; off += kMiB) {
    w.OnRead(off, kMiB);
    windows.push_back(w.window());
  }
  EXPECT_EQ(windows, (std::vector<uint64_t>{kMiB, 2 * kMiB, 4 * kMiB, 8 * kMiB, 8 * kMiB, 8 * kMiB,
                                            8 * kMiB, 8 * kMiB, 8 * kMiB, 8 * kMiB}));
}

TEST(ReadaheadTest, ASeekClosesTheWindow) {
  ReadaheadWindow w(Config());
  for (uint64_t off = 0; off < 4 * kMiB; off += kMiB) w.OnRead(off, kMiB);
  EXPECT_GT(w.window(), 0u);
  EXPECT_FALSE(w.OnRead(500 * kMiB, 4096).sequential);
  EXPECT_EQ(w.window(), 0u);
  auto d = w.OnRead(500 * kMiB + 4096, 4096);  // continuing after the seek: a new stream
  EXPECT_TRUE(d.sequential);
  EXPECT_EQ(w.window(), kMiB);
}

TEST(ReadaheadTest, ConcurrentReadsArrivingSlightlyOutOfOrderStaySequential) {
  ReadaheadWindow w(Config());
  w.OnRead(0, 131072);
  EXPECT_TRUE(w.OnRead(262144, 131072).sequential);  // 128 KiB ahead
  EXPECT_TRUE(w.OnRead(131072, 131072).sequential);  // the one it overtook
  EXPECT_TRUE(w.OnRead(393216, 131072).sequential);
}

TEST(ReadaheadTest, ReadsLaggingBehindTheHeadKeepTheWindow) {
  ReadaheadWindow w(Config());
  for (uint64_t off = 0; off < 8 * kMiB; off += 2 * kMiB) w.OnRead(off, 2 * kMiB);
  uint64_t window = w.window();
  auto d = w.OnRead(kMiB, 2 * kMiB);  // 8 in flight, this one late: 7 MiB behind
  EXPECT_TRUE(d.sequential);
  EXPECT_EQ(w.window(), window);  // did not advance the head: no growth
  EXPECT_EQ(d.ahead_begin, 8 * kMiB);
}

TEST(ReadaheadTest, RandomSmallReadsNeverOpenAWindow) {
  ReadaheadWindow w(Config());
  uint64_t offsets[] = {700, 90, 4000, 33, 2500, 1200, 60, 3100};
  for (uint64_t o : offsets) {
    auto d = w.OnRead(o * kMiB, 4096);
    EXPECT_FALSE(d.sequential) << o;
    EXPECT_EQ(d.ahead_end - d.ahead_begin, 0u);
  }
}

TEST(ReadaheadTest, ShrinkHalvesButNotBelowInitial) {
  ReadaheadWindow w(Config());
  for (uint64_t off = 0; off < 5 * kMiB; off += kMiB) w.OnRead(off, kMiB);
  EXPECT_EQ(w.window(), 8 * kMiB);
  w.Shrink();
  EXPECT_EQ(w.window(), 4 * kMiB);
  w.Shrink();
  w.Shrink();
  w.Shrink();
  EXPECT_EQ(w.window(), kMiB);
}

}  // namespace
}  // namespace imagefs::fs
