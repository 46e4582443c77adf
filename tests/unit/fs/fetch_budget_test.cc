#include "fs/fetch_budget.h"

#include <thread>

#include <gtest/gtest.h>

namespace imagefs::fs {
namespace {

using std::chrono::steady_clock;

TEST(FetchBudgetTest, TryAcquireRefusesBeyondCapacity) {
  FetchBudget b(100);
  auto l1 = b.TryAcquire(60);
  EXPECT_EQ(l1.bytes(), 60u);
  EXPECT_EQ(b.TryAcquire(50).bytes(), 0u);
  auto l2 = b.TryAcquire(40);
  EXPECT_EQ(b.in_use(), 100u);
}

TEST(FetchBudgetTest, LeasesReturnTheirBytes) {
  FetchBudget b(100);
  {
    auto l = b.TryAcquire(70);
    EXPECT_EQ(b.in_use(), 70u);
    FetchBudget::Lease moved = std::move(l);
    EXPECT_EQ(b.in_use(), 70u);
  }
  EXPECT_EQ(b.in_use(), 0u);
}

TEST(FetchBudgetTest, AcquireWaitsForARelease) {
  FetchBudget b(100);
  auto held = std::make_unique<FetchBudget::Lease>(b.TryAcquire(100));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.reset();
  });
  FetchBudget::Lease got;
  EXPECT_TRUE(b.Acquire(30, steady_clock::now() + std::chrono::seconds(5), &got));
  EXPECT_EQ(got.bytes(), 30u);
  releaser.join();
}

TEST(FetchBudgetTest, AcquireGivesUpAtTheDeadline) {
  FetchBudget b(10);
  auto held = b.TryAcquire(10);
  FetchBudget::Lease got;
  EXPECT_FALSE(b.Acquire(1, steady_clock::now() + std::chrono::milliseconds(20), &got));
  EXPECT_EQ(got.bytes(), 0u);
}

TEST(FetchBudgetTest, OversizedRequestsAreClampedAndRunAlone) {
  FetchBudget b(10);
  auto big = b.TryAcquire(1000);
  EXPECT_EQ(big.bytes(), 10u);
  EXPECT_EQ(b.TryAcquire(1).bytes(), 0u);
}

}  // namespace
}  // namespace imagefs::fs
