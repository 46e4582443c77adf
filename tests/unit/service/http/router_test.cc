#include "service/http/router.h"

#include <gtest/gtest.h>

namespace imagefs::service::http {
namespace {

Handler Named(std::string name) {
  return [name](Request&) -> Result<Response> { return Response::Json(200, name); };
}

std::string RunHandler(const RouteMatch& match) {
  Request req;
  return (*match.handler)(req)->body;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/v2/images", Named("list"));
    router_.Add("POST", "/v2/images", Named("create"));
    router_.Add("GET", "/v2/images/{image_id}", Named("show"));
    router_.Add("PATCH", "/v2/images/{image_id}", Named("update"), {.name = "custom"});
    router_.Add("DELETE", "/v2/images/{image_id}", Named("delete"));
    router_.Add("PUT", "/v2/images/{image_id}/tags/{tag}", Named("tag"));
    router_.Add("GET", "/", Named("root"));
  }
  Router router_;
};

TEST_F(RouterTest, LiteralPathMatchesByMethod) {
  RouteMatch match = router_.Match("POST", "/v2/images");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(RunHandler(match), "create");
  EXPECT_TRUE(match.params.empty());
  EXPECT_TRUE(match.allow.empty());
}

TEST_F(RouterTest, PlaceholdersLandInParamsInOrder) {
  RouteMatch match = router_.Match("PUT", "/v2/images/abc/tags/red");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(RunHandler(match), "tag");
  EXPECT_EQ(match.params, (std::vector<std::string>{"abc", "red"}));
}

TEST_F(RouterTest, MethodMismatchListsAllowedMethodsInOrderAdded) {
  RouteMatch match = router_.Match("PUT", "/v2/images/abc");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "GET, PATCH, DELETE");
  EXPECT_EQ(router_.Match("HEAD", "/v2/images").allow, "GET, POST");
}

TEST_F(RouterTest, TrailingSlashIsADifferentPath) {
  RouteMatch match = router_.Match("GET", "/v2/images/");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.allow.empty());
  EXPECT_EQ(router_.Match("GET", "/v2/images/abc/").handler, nullptr);
}

TEST_F(RouterTest, PlaceholderNeedsANonEmptySegment) {
  EXPECT_EQ(router_.Match("GET", "/v2/images//tags/x").handler, nullptr);
  EXPECT_EQ(router_.Match("PUT", "/v2/images//tags/x").handler, nullptr);
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
  RouteMatch match = router_.Match("GET", "/v3/images");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.allow.empty());
}

TEST_F(RouterTest, RootMatchesOnlyRoot) {
  ASSERT_NE(router_.Match("GET", "/").handler, nullptr);
  ASSERT_NE(router_.Match("GET", "").handler, nullptr);  // the server never passes ""
  EXPECT_EQ(router_.Match("GET", "//").handler, nullptr);
}

TEST_F(RouterTest, RouteNameDefaultsToMethodAndPattern) {
  EXPECT_EQ(router_.Match("GET", "/v2/images/x").options->name, "GET /v2/images/{image_id}");
  EXPECT_EQ(router_.Match("PATCH", "/v2/images/x").options->name, "custom");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  RouteMatch match = router_.Match("get", "/v2/images");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "GET, POST");
}

TEST(RouterAllowTest, DuplicateMethodsAreListedOnce) {
  Router router;
  router.Add("GET", "/a/{x}", Named("1"));
  router.Add("GET", "/a/b", Named("2"));
  router.Add("POST", "/a/b", Named("3"));
  EXPECT_EQ(router.Match("DELETE", "/a/b").allow, "GET, POST");
  // The first route added wins when two patterns match.
  EXPECT_EQ(RunHandler(router.Match("GET", "/a/b")), "1");
}

TEST(RouterScaleTest, HundredRoutesMatchQuickly) {
  Router router;
  for (int i = 0; i < 100; ++i) {
    router.Add("GET", "/v2/r" + std::to_string(i) + "/{id}/x", Named(std::to_string(i)));
  }
  for (int i = 0; i < 10000; ++i) {
    ASSERT_NE(router.Match("GET", "/v2/r99/abc/x").handler, nullptr);
  }
}

}  // namespace
}  // namespace imagefs::service::http
