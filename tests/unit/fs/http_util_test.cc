#include "fs/http_util.h"

#include <gtest/gtest.h>

namespace imagefs::fs {
namespace {

TEST(HttpUtilTest, StatusCodesMapToStatus) {
  EXPECT_EQ(FromHttp(400, "x", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromHttp(401, "x", "").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(FromHttp(403, "x", "").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(FromHttp(404, "x", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(FromHttp(409, "x", "").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(FromHttp(416, "x", "").code(), StatusCode::kOutOfRange);
  EXPECT_EQ(FromHttp(503, "x", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(FromHttp(418, "x", "").code(), StatusCode::kInternal);
  EXPECT_TRUE(IsTransientHttp(503));
  EXPECT_FALSE(IsTransientHttp(404));
}

TEST(HttpUtilTest, ErrorMessagesComeFromTheJsonBody) {
  std::string body = R"({"message": "No image found with ID x<br /><br />\n\n", "code": "404"})";
  EXPECT_EQ(ErrorMessage(body), "No image found with ID x");
  EXPECT_EQ(FromHttp(404, "get image x", body).message(),
            "get image x: HTTP 404: No image found with ID x");
  EXPECT_EQ(ErrorMessage(R"({"error": {"message": "Forbidden", "code": "403 Forbidden"}})"),
            "Forbidden");
  EXPECT_EQ(ErrorMessage("plain text"), "plain text");
}

TEST(HttpUtilTest, HeadersAndDates) {
  EXPECT_EQ(*HeaderValue("Content-Range: bytes 0-9/100\r\n", "content-range:"), "bytes 0-9/100");
  EXPECT_FALSE(HeaderValue("Content-Length: 5\r\n", "content-range:").has_value());
  EXPECT_EQ(*ParseHttpDate("Thu, 01 Jan 1970 00:00:10 GMT"), 10'000'000);
  EXPECT_EQ(*ParseHttpDate("Tue, 14 Nov 2023 22:13:20 GMT"), 1'700'000'000'000'000);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
  EXPECT_TRUE(ContentRangeStartsAt("bytes 100-199/1000", 100));
  EXPECT_FALSE(ContentRangeStartsAt("bytes 1000-1099/2000", 100));
  EXPECT_EQ(EscapePathSegment("a b/c%"), "a%20b%2Fc%25");
}

}  // namespace
}  // namespace imagefs::fs
