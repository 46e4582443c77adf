#include "service/http/error_mapping.h"

#include <gtest/gtest.h>

namespace imagefs::service::http {
namespace {

TEST(HttpStatusOfTest, FollowsTheStyleTable) {
  EXPECT_EQ(HttpStatusOf(Status::Ok()), 200);
  EXPECT_EQ(HttpStatusOf(InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusOf(Unauthenticated("x")), 401);
  EXPECT_EQ(HttpStatusOf(PermissionDenied("x")), 403);
  EXPECT_EQ(HttpStatusOf(NotFound("x")), 404);
  EXPECT_EQ(HttpStatusOf(AlreadyExists("x")), 409);
  EXPECT_EQ(HttpStatusOf(FailedPrecondition("x")), 409);
  EXPECT_EQ(HttpStatusOf(ResourceExhausted("x")), 413);
  EXPECT_EQ(HttpStatusOf(UnsupportedMedia("x")), 415);
  EXPECT_EQ(HttpStatusOf(OutOfRange("x")), 416);
  EXPECT_EQ(HttpStatusOf(Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusOf(DeadlineExceeded("x")), 504);
  EXPECT_EQ(HttpStatusOf(DataLoss("x")), 500);
  EXPECT_EQ(HttpStatusOf(Unimplemented("x")), 501);
  EXPECT_EQ(HttpStatusOf(Internal("x")), 500);
  EXPECT_EQ(HttpStatusOf(Cancelled("x")), 400);
}

TEST(ReasonPhraseTest, UsesWebobPhrases) {
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(413), "Request Entity Too Large");
  EXPECT_EQ(ReasonPhrase(416), "Requested Range Not Satisfiable");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(300), "Multiple Choices");
}

TEST(ErrorResponseTest, GlanceBodyWrapsGlanceFieldsInAnErrorObject) {
  Response r = ErrorResponse(NotFound("No image found with ID x"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body,
            "{\"error\": {\"message\": \"No image found with ID x\", \"code\": \"404 Not Found\", "
            "\"title\": \"Not Found\"}}");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "application/json");
}

TEST(ErrorResponseTest, NovaBodyNamesTheFault) {
  EXPECT_EQ(ErrorResponse(NotFound("gone"), ErrorStyle::kNova).body,
            "{\"itemNotFound\": {\"code\": 404, \"message\": \"gone\"}}");
  EXPECT_EQ(ErrorResponse(405, "m", ErrorStyle::kNova).body,
            "{\"badMethod\": {\"code\": 405, \"message\": \"m\"}}");
  EXPECT_EQ(ErrorResponse(413, "m", ErrorStyle::kNova).body,
            "{\"overLimit\": {\"code\": 413, \"message\": \"m\"}}");
  EXPECT_EQ(ErrorResponse(500, "m", ErrorStyle::kNova).body,
            "{\"computeFault\": {\"code\": 500, \"message\": \"m\"}}");
  EXPECT_EQ(ErrorResponse(409, "m", ErrorStyle::kNova).body,
            "{\"conflictingRequest\": {\"code\": 409, \"message\": \"m\"}}");
}

TEST(ErrorResponseTest, MessageIsEscaped) {
  Response r = ErrorResponse(400, "bad \"quote\" \\ and\nnewline\x01", ErrorStyle::kGlance);
  EXPECT_NE(r.body.find(R"("bad \"quote\" \\ and\nnewline\u0001")"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace imagefs::service::http
