#include "service/http/message.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace imagefs::service::http {
namespace {

// A BodyReader over a string, returning at most `step` bytes per Read.
class StringBody : public BodyReader {
 public:
  StringBody(std::string data, bool declare_length, size_t step = 7)
      : data_(std::move(data)), declare_length_(declare_length), step_(step) {}
  bool present() const override { return !data_.empty(); }
  std::optional<uint64_t> content_length() const override {
    return declare_length_ ? std::optional<uint64_t>(data_.size()) : std::nullopt;
  }
  Result<size_t> Read(void* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, k, static_cast<char*>(buf));
    pos_ += k;
    ++reads_;
    return k;
  }
  int reads() const { return reads_; }

 private:
  std::string data_;
  bool declare_length_;
  size_t step_;
  size_t pos_ = 0;
  int reads_ = 0;
};

TEST(BodyReaderTest, ReadAllReturnsTheWholeBody) {
  StringBody body(std::string(100000, 'x'), /*declare_length=*/false, 4096);
  Result<std::string> all = body.ReadAll(100000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::string(100000, 'x'));
}

TEST(BodyReaderTest, ReadAllRefusesADeclaredLengthOverTheLimitWithoutReading) {
  StringBody body(std::string(11, 'x'), /*declare_length=*/true);
  Result<std::string> all = body.ReadAll(10);
  EXPECT_EQ(all.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(body.reads(), 0);
}

TEST(BodyReaderTest, ReadAllRefusesAnUndeclaredBodyOverTheLimit) {
  StringBody body(std::string(11, 'x'), /*declare_length=*/false);
  EXPECT_EQ(body.ReadAll(10).status().code(), StatusCode::kResourceExhausted);
  StringBody exact(std::string(10, 'x'), /*declare_length=*/false);
  EXPECT_TRUE(exact.ReadAll(10).ok());
}

TEST(BodyReaderTest, ReadAllOfNoBodyIsEmpty) {
  StringBody body("", /*declare_length=*/false);
  Result<std::string> all = body.ReadAll(0);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST(RequestTest, HeaderLookupIsCaseInsensitiveAndFirstWins) {
  Request req;
  req.headers = {{"Content-Type", "a"}, {"content-type", "b"}};
  EXPECT_EQ(req.Header("CONTENT-TYPE"), "a");
  EXPECT_EQ(req.Header("Accept"), std::nullopt);
}

TEST(RequestTest, QueryParamReturnsTheFirstValue) {
  Request req;
  req.query = {{"tag", "a"}, {"tag", "b"}, {"limit", ""}};
  EXPECT_EQ(req.QueryParam("tag"), "a");
  EXPECT_EQ(req.QueryParam("limit"), "");
  EXPECT_EQ(req.QueryParam("marker"), std::nullopt);
}

TEST(ResponseTest, SetHeaderReplacesCaseInsensitively) {
  Response r = Response::Json(201, "{}");
  r.SetHeader("content-type", "text/plain").SetHeader("Location", "/x");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].second, "text/plain");
  EXPECT_EQ(r.headers[1].first, "Location");
}

TEST(ResponseTest, EmptyHasNoHeadersOrBody) {
  Response r = Response::Empty(204);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.body.empty());
}

TEST(HeaderNameEqualsTest, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(HeaderNameEquals("X-Auth-Token", "x-auth-token"));
  EXPECT_FALSE(HeaderNameEquals("X-Auth-Token", "X-Auth-Tokens"));
  EXPECT_FALSE(HeaderNameEquals("a", "b"));
}

}  // namespace
}  // namespace imagefs::service::http
