#include "service/http/url_codec.h"

#include <gtest/gtest.h>

namespace imagefs::service::http {
namespace {

std::string Decode(std::string_view in, bool plus_as_space) {
  std::string out;
  PercentDecodeAppend(in, plus_as_space, &out);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Query(std::string_view q) {
  Pairs out;
  ParseQuery(q, &out);
  return out;
}

TEST(PercentDecodeTest, DecodesHexEscapesInEitherCase) {
  EXPECT_EQ(Decode("/v2/images/a%20b%2Fc%3a", false), "/v2/images/a b/c:");
  EXPECT_EQ(Decode("w%C3%B6rld", false), "w\xC3\xB6rld");
}

TEST(PercentDecodeTest, KeepsMalformedEscapesLiterally) {
  EXPECT_EQ(Decode("100%", false), "100%");
  EXPECT_EQ(Decode("%zz%4", false), "%zz%4");
  EXPECT_EQ(Decode("%%41", false), "%A");
}

TEST(PercentDecodeTest, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(Decode("a+b", false), "a+b");
  EXPECT_EQ(Decode("a+b%2B", true), "a b+");
}

TEST(SplitTargetTest, SeparatesPathAndQuery) {
  TargetParts parts = SplitTarget("/v2/images?limit=2&name=in%3Aa");
  EXPECT_EQ(parts.path, "/v2/images");
  EXPECT_EQ(parts.query, "limit=2&name=in%3Aa");
  EXPECT_EQ(SplitTarget("/x").query, "");
  EXPECT_EQ(SplitTarget("/x?").query, "");
  EXPECT_EQ(SplitTarget("/x#frag").path, "/x");
}

TEST(SplitTargetTest, HandlesAbsoluteAndAsteriskForms) {
  TargetParts parts = SplitTarget("http://example.com:9292/v2/images?x=1");
  EXPECT_EQ(parts.path, "/v2/images");
  EXPECT_EQ(parts.query, "x=1");
  EXPECT_EQ(SplitTarget("http://example.com").path, "/");
  EXPECT_EQ(SplitTarget("*").path, "*");
}

TEST(ParseQueryTest, DecodesPairsInOrder) {
  EXPECT_EQ(Query("limit=2&name=in%3Aa%2Cb&tag=x+y&tag=z"),
            (Pairs{{"limit", "2"}, {"name", "in:a,b"}, {"tag", "x y"}, {"tag", "z"}}));
}

TEST(ParseQueryTest, HandlesMissingValuesAndEmptyPieces) {
  EXPECT_EQ(Query("a&&b=&=c&"), (Pairs{{"a", ""}, {"b", ""}, {"", "c"}}));
  EXPECT_EQ(Query(""), Pairs{});
  EXPECT_EQ(Query("a=b=c"), (Pairs{{"a", "b=c"}}));
}

TEST(ParseQueryTest, ReusesAndTrimsTheOutput) {
  Pairs out = {{"old", "x"}, {"old2", "y"}, {"old3", "z"}};
  ParseQuery("a=1", &out);
  EXPECT_EQ(out, (Pairs{{"a", "1"}}));
}

}  // namespace
}  // namespace imagefs::service::http
