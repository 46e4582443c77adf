#include "fs/inode_table.h"

#include <gtest/gtest.h>

namespace imagefs::fs {
namespace {

TEST(InodeTableTest, NumbersAreHandedOutOnceAndStayPut) {
  InodeTable t;
  uint64_t a = t.InodeFor("a");
  uint64_t b = t.InodeFor("b");
  EXPECT_EQ(a, kFirstImageIno);
  EXPECT_EQ(b, kFirstImageIno + 1);
  EXPECT_EQ(t.InodeFor("a"), a);
  EXPECT_EQ(*t.IdOf(b), "b");
  EXPECT_EQ(*t.Find("a"), a);
  EXPECT_FALSE(t.Find("c").has_value());
  EXPECT_FALSE(t.IdOf(kRootIno).has_value());
  EXPECT_TRUE(IsDirIno(kByIdDirIno));
  EXPECT_FALSE(IsDirIno(a));
}

}  // namespace
}  // namespace imagefs::fs
