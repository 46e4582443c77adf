// Nothing of an image leaks to a project that may not see it. For every way of
// reading (and of trying to write) through v2 and v1, a stranger gets for a private
// image, for a shared image it is no member of, for a formerly shared image it was a
// member of, and for a shared image it was removed from, exactly the answer it gets
// for a random id that does not exist (status, headers and body, the id aside), as
// the reference server does (spec 1.4: an invisible image behaves as non-existent);
// and no list, under any filter, names those images.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_process.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;

// One answer with the image id replaced by "<ID>" and the per-request headers dropped.
struct Answer {
  long status = 0;
  std::string headers;  // "name: value\n", sorted (the multimap's order)
  std::string body;
  friend bool operator==(const Answer&, const Answer&) = default;
};

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

Answer Normalize(const HttpResponse& r, const std::string& id) {
  Answer a;
  a.status = r.status;
  a.body = ReplaceAll(r.body, id, "<ID>");
  for (const auto& [name, value] : r.headers) {
    if (name == "x-openstack-request-id" || name == "date") continue;
    a.headers += name + ": " + ReplaceAll(value, id, "<ID>") + "\n";
  }
  return a;
}

std::ostream& operator<<(std::ostream& os, const Answer& a) {
  return os << a.status << "\n" << a.headers << a.body;
}

class LeakTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ImagedOptions o;
    o.tokens = {{"tokA", "projA"}, {"tokB", "projB"}, {"tokC", "projC"},
                {"tokD", "projD"}, {"tokE", "projE"}, {"admin", "admin:admin,member,reader"}};
    imaged_ = new ImagedProcess(o);
    ASSERT_TRUE(imaged_->Start()) << imaged_->log();
    HttpClient http(imaged_->url());
    auto check = [](bool ok, const char* what) {
      if (!ok) ADD_FAILURE() << "setup: " << what;
    };
    // private: never shared. shared: projB is its member, projE never was.
    // was_shared: shared with projC (accepted), then made private.
    // removed: shared with projD, who was then removed.
    private_ = CreateActiveImage(http, "tokA", "secret-private", "private bytes",
                                 R"("visibility": "private", "tags": ["secret"], "k": "v")");
    shared_ = CreateActiveImage(http, "tokA", "secret-shared", "shared bytes",
                                R"("visibility": "shared", "tags": ["secret"], "k": "v")");
    was_shared_ = CreateActiveImage(http, "tokA", "secret-was-shared", "bytes",
                                    R"("visibility": "shared", "tags": ["secret"], "k": "v")");
    removed_ = CreateActiveImage(http, "tokA", "secret-removed", "bytes",
                                 R"("visibility": "shared", "tags": ["secret"], "k": "v")");
    check(!private_.empty() && !shared_.empty() && !was_shared_.empty() && !removed_.empty(),
          "images");
    auto add = [&](const std::string& id, const std::string& m) {
      return http.PostJson("/v2/images/" + id + "/members", "tokA", R"({"member": ")" + m + R"("})")
                 .status == 200;
    };
    check(add(shared_, "projB"), "member projB");
    check(add(was_shared_, "projC"), "member projC");
    check(http.Put("/v2/images/" + was_shared_ + "/members/projC", "tokC",
                   R"({"status": "accepted"})", false, -1, "application/json")
                  .status == 200,
          "accept");
    check(http.Patch("/v2/images/" + was_shared_, "tokA",
                     R"([{"op": "replace", "path": "/visibility", "value": "private"}])")
                  .status == 200,
          "make private");
    check(add(removed_, "projD"), "member projD");
    check(http.Request("DELETE", "/v2/images/" + removed_ + "/members/projD", "tokA").status == 204,
          "remove projD");
    std::mt19937_64 rng(20261127);  // fixed seed: the same "random" id every run
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx",
                  static_cast<unsigned>(rng()), static_cast<unsigned>(rng() & 0xffff),
                  static_cast<unsigned>(rng() & 0xfff), static_cast<unsigned>(rng() & 0xfff),
                  static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    missing_ = buf;
    check(http.Get("/v2/images/" + missing_, "admin").status == 404, "random id is free");
  }
  static void TearDownTestSuite() {
    delete imaged_;
    imaged_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(imaged_, nullptr);
    http_ = std::make_unique<HttpClient>(imaged_->url());
  }

  // Who must see nothing of which image.
  struct Secret {
    std::string id;
    std::string name;
    std::vector<std::string> strangers;
  };
  static std::vector<Secret> Secrets() {
    return {{private_, "secret-private", {"tokB", "tokC", "tokD", "tokE"}},
            {shared_, "secret-shared", {"tokC", "tokD", "tokE"}},
            {was_shared_, "secret-was-shared", {"tokB", "tokC", "tokD", "tokE"}},
            {removed_, "secret-removed", {"tokB", "tokC", "tokD", "tokE"}}};
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body, const std::string& content_type) {
    if (method == "PUT") return http_->Put(path, token, body, false, -1, content_type);
    HttpClient::Headers h;
    if (!content_type.empty()) h.emplace_back("Content-Type", content_type);
    return http_->Request(method, path, token, body, h);
  }

  // Calls `method path` ("{id}" replaced) for every secret image and stranger, and for
  // the missing id, and expects the same answer, with status `want`.
  void ExpectLikeMissing(const std::string& method, const std::string& path, long want,
                         const std::string& body = "", const std::string& content_type = "") {
    for (const Secret& s : Secrets()) {
      for (const std::string& token : s.strangers) {
        SCOPED_TRACE(method + " " + path + " as " + token + " on " + s.id);
        Answer secret = Normalize(Call(method, ReplaceAll(path, "{id}", s.id), token, body,
                                       content_type),
                                  s.id);
        Answer missing = Normalize(Call(method, ReplaceAll(path, "{id}", missing_), token, body,
                                        content_type),
                                   missing_);
        EXPECT_EQ(secret.status, want) << secret;
        EXPECT_EQ(secret, missing);
      }
    }
  }

  // The listed entries of a list answer (not its links, which echo the query).
  std::string ListBody(const std::string& path, const std::string& token) {
    HttpResponse r = http_->Get(path, token);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    json::value v = r.Json();
    EXPECT_TRUE(v.is_object()) << r.body;
    if (!v.is_object()) return r.body;
    const json::value* list = v.as_object().if_contains("images");
    if (list == nullptr) list = v.as_object().if_contains("shared_images");
    EXPECT_NE(list, nullptr) << r.body;
    return list != nullptr ? json::serialize(*list) : r.body;
  }
  void ExpectListsNothingSecret(const std::string& path) {
    for (const Secret& s : Secrets()) {
      for (const std::string& token : s.strangers) {
        std::string body = ListBody(ReplaceAll(path, "{id}", s.id), token);
        EXPECT_EQ(body.find(s.id), std::string::npos) << path << " as " << token;
        EXPECT_EQ(body.find("\"" + s.name + "\""), std::string::npos) << path << " as " << token;
      }
    }
  }

  static ImagedProcess* imaged_;
  static std::string private_, shared_, was_shared_, removed_, missing_;
  std::unique_ptr<HttpClient> http_;
};

ImagedProcess* LeakTest::imaged_ = nullptr;
std::string LeakTest::private_, LeakTest::shared_, LeakTest::was_shared_, LeakTest::removed_,
    LeakTest::missing_;

TEST_F(LeakTest, ImageMetadataAndDataReadsAnswerAsForAMissingImage) {
  ExpectLikeMissing("GET", "/v2/images/{id}", 404);
  ExpectLikeMissing("GET", "/v2/images/{id}/file", 404);
  ExpectLikeMissing("GET", "/v2/images/{id}/blocks", 404);
  // A range or a conditional header changes nothing.
  for (const Secret& s : Secrets()) {
    for (const std::string& token : s.strangers) {
      HttpResponse r = http_->Get("/v2/images/" + s.id + "/file", token, {{"Range", "bytes=0-3"}});
      HttpResponse m = http_->Get("/v2/images/" + missing_ + "/file", token, {{"Range", "bytes=0-3"}});
      EXPECT_EQ(Normalize(r, s.id), Normalize(m, missing_));
      EXPECT_EQ(r.status, 404);
    }
  }
}

TEST_F(LeakTest, ImageWritesAnswerAsForAMissingImage) {
  ExpectLikeMissing("PATCH", "/v2/images/{id}", 404,
                    R"([{"op": "replace", "path": "/name", "value": "mine"}])",
                    "application/openstack-images-v2.1-json-patch");
  ExpectLikeMissing("DELETE", "/v2/images/{id}", 404);
  ExpectLikeMissing("PUT", "/v2/images/{id}/file", 404, "new bytes", "application/octet-stream");
  ExpectLikeMissing("PUT", "/v2/images/{id}/tags/mine", 404);
  ExpectLikeMissing("DELETE", "/v2/images/{id}/tags/secret", 404);
  ExpectLikeMissing("POST", "/v2/images/{id}/actions/deactivate", 404);
  ExpectLikeMissing("POST", "/v2/images/{id}/actions/reactivate", 404);
  // Nothing changed.
  for (const Secret& s : Secrets()) {
    HttpResponse r = http_->Get("/v2/images/" + s.id, "tokA");
    ASSERT_EQ(r.status, 200);
    json::value img = r.Json();
    EXPECT_EQ(img.at("status").as_string(), "active");
    EXPECT_EQ(img.at("tags"), (json::array{"secret"}));
    EXPECT_EQ(std::string(img.at("name").as_string()).substr(0, 7), "secret-");
  }
}

TEST_F(LeakTest, MembersCallsAnswerAsForAMissingImage) {
  ExpectLikeMissing("GET", "/v2/images/{id}/members", 404);
  ExpectLikeMissing("GET", "/v2/images/{id}/members/projB", 404);
  ExpectLikeMissing("GET", "/v2/images/{id}/members/projC", 404);
  ExpectLikeMissing("GET", "/v2/images/{id}/members/projE", 404);
  ExpectLikeMissing("POST", "/v2/images/{id}/members", 404, R"({"member": "projE"})",
                    "application/json");
  ExpectLikeMissing("PUT", "/v2/images/{id}/members/projB", 404, R"({"status": "accepted"})",
                    "application/json");
  ExpectLikeMissing("PUT", "/v2/images/{id}/members/projC", 404, R"({"status": "accepted"})",
                    "application/json");
  ExpectLikeMissing("PUT", "/v2/images/{id}/members/projE", 404, R"({"status": "bogus"})",
                    "application/json");
  ExpectLikeMissing("DELETE", "/v2/images/{id}/members/projB", 404);
  // The owner's view is intact.
  HttpResponse r = http_->Get("/v2/images/" + shared_ + "/members", "tokA");
  ASSERT_EQ(r.status, 200);
  json::value members = r.Json();
  ASSERT_EQ(members.at("members").as_array().size(), 1u);
  EXPECT_EQ(members.at("members").as_array()[0].at("member_id").as_string(), "projB");
  EXPECT_EQ(members.at("members").as_array()[0].at("status").as_string(), "pending");
}

TEST_F(LeakTest, NoV2ListNamesTheImagesUnderAnyFilter) {
  for (const char* q :
       {"", "?limit=1000", "?id={id}", "?id=in:{id}", "?name=secret-private", "?name=secret-shared",
        "?tag=secret", "?k=v", "?owner=projA", "?visibility=private", "?visibility=shared",
        "?visibility=all", "?visibility=community", "?visibility=public",
        "?member_status=pending", "?member_status=accepted", "?member_status=rejected",
        "?member_status=all", "?visibility=shared&member_status=all",
        "?visibility=all&member_status=all", "?status=active", "?size_min=1", "?os_hidden=true",
        "?protected=false", "?disk_format=raw", "?created_at=gt:2000-01-01T00:00:00Z",
        "?sort=name:asc", "?sort_key=size&sort_dir=asc"}) {
    SCOPED_TRACE(q);
    ExpectListsNothingSecret(std::string("/v2/images") + q);
  }
  // A secret id as a marker is refused as an unknown one is.
  ExpectLikeMissing("GET", "/v2/images?marker={id}", 400);
}

TEST_F(LeakTest, V1CallsAnswerAsForAMissingImage) {
  ExpectLikeMissing("HEAD", "/v1/images/{id}", 404);
  ExpectLikeMissing("GET", "/v1/images/{id}", 404);
  ExpectLikeMissing("GET", "/v1/images/{id}/members", 404);
  ExpectLikeMissing("PUT", "/v1/images/{id}/members/projE", 404);
  ExpectLikeMissing("PUT", "/v1/images/{id}/members/projE", 404,
                    R"({"member": {"can_share": true}})", "application/json");
  ExpectLikeMissing("PUT", "/v1/images/{id}/members", 404,
                    R"({"memberships": [{"member_id": "projE"}]})", "application/json");
  ExpectLikeMissing("DELETE", "/v1/images/{id}/members/projB", 404);
  ExpectLikeMissing("DELETE", "/v1/images/{id}", 404);
  ExpectLikeMissing("GET", "/v1/images?marker={id}", 400);
  ExpectLikeMissing("GET", "/v1/images/detail?marker={id}", 400);
  for (const Secret& s : Secrets()) {
    for (const std::string& token : s.strangers) {
      HttpResponse r = http_->Put("/v1/images/" + s.id, token, "", false, -1, "",
                                  {{"x-image-meta-name", "mine"}});
      HttpResponse m = http_->Put("/v1/images/" + missing_, token, "", false, -1, "",
                                  {{"x-image-meta-name", "mine"}});
      EXPECT_EQ(r.status, 404);
      EXPECT_EQ(Normalize(r, s.id), Normalize(m, missing_));
    }
  }
  HttpResponse owner = http_->Get("/v1/images/" + shared_ + "/members", "tokA");
  EXPECT_EQ(owner.body, R"({"members":[{"member_id":"projB","can_share":false}]})");
}

TEST_F(LeakTest, NoV1ListNamesTheImages) {
  for (const char* q : {"", "?limit=1000", "?name=secret-private", "?name=secret-shared",
                        "?property-k=v", "?status=active", "?is_public=none", "?is_public=false",
                        "?changes-since=2000-01-01T00:00:00", "?sort_key=name&sort_dir=asc",
                        "?size_min=1", "?disk_format=raw"}) {
    SCOPED_TRACE(q);
    ExpectListsNothingSecret(std::string("/v1/images") + q);
    ExpectListsNothingSecret(std::string("/v1/images/detail") + q);
  }
  for (const char* member : {"projA", "projB", "projC", "projD", "projE"}) {
    ExpectListsNothingSecret(std::string("/v1/shared-images/") + member);
  }
}

}  // namespace
}  // namespace imagefs::testing
