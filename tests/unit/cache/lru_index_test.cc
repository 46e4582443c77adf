#include "cache/lru_index.h"

#include <gtest/gtest.h>

namespace imagefs::cache {
namespace {

class LruIndexTest : public ::testing::Test {
 protected:
  std::shared_ptr<Version> AddVersion(const std::string& image, uint32_t blocks) {
    VersionName name{image, std::string(32, 'a'), uint64_t{blocks} * 10, 10};
    return index_.FindOrAdd(name, name.Stem());
  }
  // Adds blocks as a fetch would: pending, reserved, committed.
  void AddPresent(Version& v, uint64_t i) {
    index_.AddPending(v, i, 10, flight_);
    EvictionPlan plan;
    ASSERT_TRUE(index_.Reserve(10, 1000, 0, true, flight_, &plan));
    index_.CommitPending(v, i);
  }
  std::vector<uint64_t> Victims(const EvictionPlan& plan) {
    std::vector<uint64_t> v;
    for (const auto& p : plan.punches) {
      v.push_back(p.index);
    }
    return v;
  }

  Mutex mu_;
  std::shared_ptr<Flight> flight_ = std::make_shared<Flight>(Flight::Kind::kEvict, &mu_);
  LruIndex index_{2};
};

TEST_F(LruIndexTest, ReserveEvictsLeastRecentlyUsedFirst) {
  auto v = AddVersion("a", 10);
  for (uint64_t i = 0; i < 4; ++i) {
    AddPresent(*v, i);
  }
  index_.Touch(*index_.FindBlock(*v, 0));
  EvictionPlan plan;
  ASSERT_TRUE(index_.Reserve(20, 40, 0, true, flight_, &plan));
  EXPECT_EQ(Victims(plan), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(index_.used_bytes(), 40u);  // 2 left + 20 reserved
  // The victims no longer count as used, but hold their disk space until punched.
  EXPECT_EQ(index_.punching_bytes(), 20u);
  EXPECT_EQ(index_.FindBlock(*v, 1)->state, BlockState::kEvicting);
  index_.FinishPunch(plan.punches[0], true);
  EXPECT_EQ(index_.punching_bytes(), 10u);
  index_.FinishPunch(plan.punches[1], true);
  EXPECT_EQ(index_.punching_bytes(), 0u);
  EXPECT_EQ(index_.FindBlock(*v, 1), nullptr);
}

TEST_F(LruIndexTest, ReserveSkipsPinnedBlocksAndFailsWhenOnlyPinnedAreLeft) {
  auto v = AddVersion("a", 10);
  AddPresent(*v, 0);
  AddPresent(*v, 1);
  index_.FindBlock(*v, 0)->pins = 1;
  EvictionPlan plan;
  EXPECT_FALSE(index_.Reserve(20, 20, 0, true, flight_, &plan));
  EXPECT_EQ(Victims(plan), (std::vector<uint64_t>{1}));  // chosen, and stays evicted
  EXPECT_EQ(index_.used_bytes(), 10u);
  EXPECT_FALSE(index_.Reserve(30, 20, 0, true, flight_, &plan));  // larger than capacity
}

TEST_F(LruIndexTest, ExtraEvictsBeyondCapacity) {
  auto v = AddVersion("a", 10);
  AddPresent(*v, 0);
  AddPresent(*v, 1);
  EvictionPlan plan;
  ASSERT_TRUE(index_.Reserve(10, 1000, 15, true, flight_, &plan));
  EXPECT_EQ(plan.punches.size(), 2u);
}

TEST_F(LruIndexTest, WithoutPunchingAVersionIsEvictedWholeAndRemoved) {
  auto a = AddVersion("a", 10);
  auto b = AddVersion("b", 10);
  AddPresent(*a, 0);
  AddPresent(*b, 0);
  AddPresent(*a, 1);
  EvictionPlan plan;
  ASSERT_TRUE(index_.Reserve(10, 30, 0, false, flight_, &plan));
  EXPECT_TRUE(plan.punches.empty());
  ASSERT_EQ(plan.removals.size(), 1u);
  EXPECT_EQ(plan.removals[0], a);
  EXPECT_EQ(plan.evicted_blocks, 2u);
  EXPECT_EQ(index_.used_bytes(), 20u);
  EXPECT_NE(a->removing, nullptr);
}

TEST_F(LruIndexTest, WithoutPunchingPinnedBlocksKeepTheirVersionsBytesCounted) {
  auto a = AddVersion("a", 10);
  AddPresent(*a, 0);
  AddPresent(*a, 1);
  index_.FindBlock(*a, 0)->pins = 1;
  EvictionPlan plan;
  EXPECT_FALSE(index_.Reserve(10, 20, 0, false, flight_, &plan));
  EXPECT_TRUE(plan.removals.empty());
  EXPECT_EQ(a->dead_bytes, 10u);
  EXPECT_EQ(index_.used_bytes(), 20u);
}

TEST_F(LruIndexTest, FailedPunchCountsAsDeadBytes) {
  auto v = AddVersion("a", 10);
  AddPresent(*v, 0);
  EvictionPlan plan;
  ASSERT_TRUE(index_.Reserve(0, 0, 0, true, flight_, &plan));
  EXPECT_EQ(index_.used_bytes(), 0u);
  EXPECT_EQ(index_.punching_bytes(), 10u);
  index_.FinishPunch(plan.punches[0], false);
  EXPECT_EQ(index_.punching_bytes(), 0u);  // not punched: counted as used (dead) again
  EXPECT_EQ(index_.used_bytes(), 10u);
  EXPECT_EQ(v->dead_bytes, 10u);
  index_.MaybeRemove(*v, flight_, &plan);
  EXPECT_EQ(index_.used_bytes(), 0u);
  EXPECT_EQ(plan.removals.size(), 1u);
}

TEST_F(LruIndexTest, OpenFilesAreBoundedLeastRecentlyUsedFirst) {
  auto a = AddVersion("a", 1), b = AddVersion("b", 1), c = AddVersion("c", 1);
  std::vector<std::shared_ptr<OpenFile>> to_close;
  index_.InstallFile(*a, std::make_shared<OpenFile>(dup(0), 1, 1), &to_close);
  index_.InstallFile(*b, std::make_shared<OpenFile>(dup(0), 1, 2), &to_close);
  index_.TouchFile(*a);
  index_.InstallFile(*c, std::make_shared<OpenFile>(dup(0), 1, 3), &to_close);
  EXPECT_EQ(index_.open_files(), 2u);
  EXPECT_EQ(b->file, nullptr);
  EXPECT_NE(a->file, nullptr);
  EXPECT_EQ(to_close.size(), 1u);
}

TEST_F(LruIndexTest, ReopeningUnverifiesBlocksOrDropsThemIfTheInodeChanged) {
  auto v = AddVersion("a", 10);
  std::vector<std::shared_ptr<OpenFile>> to_close;
  index_.InstallFile(*v, std::make_shared<OpenFile>(dup(0), 1, 1), &to_close);
  AddPresent(*v, 0);
  index_.AddPending(*v, 1, 10, flight_);
  index_.CloseFile(*v, &to_close);
  index_.InstallFile(*v, std::make_shared<OpenFile>(dup(0), 1, 1), &to_close);
  ASSERT_NE(index_.FindBlock(*v, 0), nullptr);  // same inode: kept, checked again
  EXPECT_FALSE(index_.FindBlock(*v, 0)->verified);
  index_.CloseFile(*v, &to_close);
  index_.InstallFile(*v, std::make_shared<OpenFile>(dup(0), 1, 9), &to_close);
  EXPECT_EQ(index_.FindBlock(*v, 0), nullptr);
  EXPECT_NE(index_.FindBlock(*v, 1), nullptr);  // pending: its writer notices itself
  EXPECT_EQ(index_.used_bytes(), 0u);
}

}  // namespace
}  // namespace imagefs::cache
