#include "common/status.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/result.h"

namespace imagefs {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgument("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  IMAGEFS_ASSIGN_OR_RETURN(int h, Half(v));
  IMAGEFS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesTheCode) {
  EXPECT_EQ(NotFound("no image").ToString(), "NotFound: no image");
  EXPECT_EQ(NotFound("x").Annotate("GET").message(), "GET: x");
}

TEST(StatusTest, ErrnoMapsToCanonicalCodes) {
  EXPECT_EQ(ErrnoStatus(ENOENT, "open").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoStatus(ENOSPC, "write").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(EIO, "read").code(), StatusCode::kInternal);
}

TEST(ResultTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(12), 3);
  Result<int> r = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Quarter(5).value_or(-1), -1);
}

}  // namespace
}  // namespace imagefs
