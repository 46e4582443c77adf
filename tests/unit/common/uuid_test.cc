#include "common/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace imagefs {
namespace {

TEST(UuidTest, NewUuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuid();
    ASSERT_TRUE(IsUuid(u)) << u;
    EXPECT_EQ(u[14], '4');
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    EXPECT_TRUE(seen.insert(u).second);
  }
}

TEST(UuidTest, Validation) {
  EXPECT_TRUE(IsUuid("B2173DD3-7AD6-4362-BAA6-A68BCE3565CB"));
  EXPECT_FALSE(IsUuid("b2173dd3-7ad6-4362-baa6-a68bce3565c"));
  EXPECT_FALSE(IsUuid("b2173dd3x7ad6-4362-baa6-a68bce3565cb"));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
}

}  // namespace
}  // namespace imagefs
