#include "common/time_util.h"

#include <gtest/gtest.h>

namespace imagefs {
namespace {

constexpr int64_t kT = 1448835702LL * 1000000;  // 2015-11-29T22:21:42Z

TEST(TimeUtilTest, FormatsBothStyles) {
  EXPECT_EQ(FormatIsoZ(kT + 123456), "2015-11-29T22:21:42Z");
  EXPECT_EQ(FormatIsoMicros(kT + 123456), "2015-11-29T22:21:42.123456");
  EXPECT_EQ(FormatIsoZ(0), "1970-01-01T00:00:00Z");
}

TEST(TimeUtilTest, ParsesTheFormsGlanceAccepts) {
  EXPECT_EQ(*ParseIso("2015-11-29T22:21:42Z"), kT);
  EXPECT_EQ(*ParseIso("2015-11-29T22:21:42"), kT);
  EXPECT_EQ(*ParseIso("2015-11-29 22:21:42.5"), kT + 500000);
  EXPECT_EQ(*ParseIso("2015-11-29T23:21:42+01:00"), kT);
  EXPECT_EQ(*ParseIso("2015-11-29T21:21:42-0100"), kT);
  EXPECT_EQ(*ParseIso("2015-11-29"), kT - (22 * 3600 + 21 * 60 + 42) * 1000000LL);
  EXPECT_EQ(*ParseIso(FormatIsoMicros(kT + 7)), kT + 7);
}

TEST(TimeUtilTest, RejectsGarbage) {
  for (const char* bad : {"", "not-a-date", "2015-13-01", "2015-11-29T25", "2015-11-29Tx",
                          "2015-11-29T22:21:42Zjunk", "20151129"}) {
    EXPECT_FALSE(ParseIso(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace imagefs
