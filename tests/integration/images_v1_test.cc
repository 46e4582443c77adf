// The legacy Images API v1 against the real imaged (spec 2 and the v1 narrative docs):
// image calls with x-image-meta-* headers (create, HEAD, GET, PUT, DELETE, list and
// detail with their filters), and memberships with can_share, on the same catalog as
// v2, so what one API does the other sees.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_fixture.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;
using Headers = HttpClient::Headers;

constexpr char kNoSuchImage[] = "0badc0de-0000-4000-8000-000000000000";
constexpr char kMd5Of0To9[] = "781e5e245d69b566979b86e28d23f2c7";  // md5("0123456789")

class ImagesV1Test : public ImagedTest<ImagesV1Test> {
 public:
  static ImagedOptions Options() {
    ImagedOptions o;
    o.tokens = {{"tokA", "projA"}, {"tokB", "projB"}, {"tokC", "projC"},
                {"tokD", "projD"}, {"tokE", "projE"}, {"tokR", "projA:reader"},
                {"admin", "admin:admin,member,reader"}};
    return o;
  }

 protected:
  // POST /v1/images with metadata headers and an optional body (octet-stream).
  HttpResponse V1Create(Headers meta, const std::string& data = "",
                        const std::string& token = "tokA") {
    if (!data.empty()) meta.emplace_back("Content-Type", "application/octet-stream");
    return http_->Request("POST", "/v1/images", token, data, std::move(meta));
  }
  // Creates and returns the id (fails the test unless 201).
  std::string V1CreateId(Headers meta, const std::string& data = "",
                         const std::string& token = "tokA") {
    HttpResponse r = V1Create(std::move(meta), data, token);
    EXPECT_EQ(r.status, 201) << r.body;
    json::value v = r.Json();
    return v.is_object() ? std::string(v.at("image").at("id").as_string()) : std::string();
  }
  HttpResponse V1Put(const std::string& id, Headers meta, const std::string& data = "",
                     const std::string& token = "tokA") {
    return http_->Put("/v1/images/" + id, token, data, false, -1,
                      data.empty() ? "" : "application/octet-stream", std::move(meta));
  }
  HttpResponse Head(const std::string& id, const std::string& token = "tokA") {
    return http_->Request("HEAD", "/v1/images/" + id, token);
  }
  json::object V2(const std::string& id, const std::string& token = "tokA") {
    HttpResponse r = http_->Get("/v2/images/" + id, token);
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = r.Json();
    return v.is_object() ? v.as_object() : json::object();
  }
  // Names listed by GET /v1/images[/detail]?<query>, in order.
  std::vector<std::string> V1Names(const std::string& query, const std::string& token = "tokA",
                                   bool detail = false) {
    HttpResponse r = http_->Get(std::string(detail ? "/v1/images/detail?" : "/v1/images?") + query,
                                token);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::vector<std::string> names;
    json::value page = r.Json();
    if (!page.is_object()) return names;
    EXPECT_EQ(page.as_object().size(), 1u) << "no links in v1 lists";
    for (const auto& img : page.at("images").as_array()) {
      names.emplace_back(img.at("name").is_null() ? "" : img.at("name").as_string().c_str());
    }
    return names;
  }
  static std::string Tag() {
    static int n = 0;
    return "v1t" + std::to_string(::getpid()) + "x" + std::to_string(++n);
  }
  static void ExpectError(const HttpResponse& r, long status, const std::string& needle = "") {
    EXPECT_EQ(r.status, status) << r.body;
    json::value v = r.Json();
    ASSERT_TRUE(v.is_object()) << r.body;
    const json::object& error = v.as_object().at("error").as_object();
    std::string message(error.at("message").as_string());
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
};

bool IsV1Time(const json::value& v) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})");
  return v.is_string() && std::regex_match(std::string(v.as_string()), kTime);
}

// ---------------------------------------------------------------- image calls

TEST_F(ImagesV1Test, CreateWithoutDataReservesAQueuedImage) {
  HttpResponse r = V1Create({{"x-image-meta-name", "reserved"},
                             {"X-Image-Meta-Disk-Format", "qcow2"},
                             {"x-image-meta-container_format", "bare"},
                             {"x-image-meta-min_ram", "512"},
                             {"x-image-meta-property-Distro-Name", "Debian 12"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json::object img = r.Json().at("image").as_object();
  std::string id(img.at("id").as_string());
  EXPECT_EQ(r.Header("location").value_or(""), imaged_->url() + "/v1/images/" + id);
  EXPECT_FALSE(r.Header("etag"));
  EXPECT_EQ(img.at("status").as_string(), "queued");
  EXPECT_EQ(img.at("size").as_int64(), 0);
  EXPECT_EQ(img.at("disk_format").as_string(), "qcow2");
  EXPECT_EQ(img.at("min_ram").as_int64(), 512);
  EXPECT_EQ(img.at("owner").as_string(), "projA");
  EXPECT_EQ(img.at("is_public").as_bool(), false);
  EXPECT_EQ(img.at("deleted").as_bool(), false);
  EXPECT_TRUE(img.at("deleted_at").is_null());
  EXPECT_TRUE(IsV1Time(img.at("created_at"))) << img.at("created_at");
  EXPECT_TRUE(IsV1Time(img.at("updated_at")));
  EXPECT_EQ(img.at("properties"), (json::object{{"distro_name", "Debian 12"}}));
  EXPECT_FALSE(img.contains("location"));
  // The same image through v2: a v1 non-public image is `shared`.
  json::object v2 = V2(id);
  EXPECT_EQ(v2.at("visibility").as_string(), "shared");
  EXPECT_EQ(v2.at("distro_name").as_string(), "Debian 12");
  EXPECT_EQ(v2.at("min_ram").as_int64(), 512);
}

TEST_F(ImagesV1Test, CreateWithDataActivatesAndBothApisServeTheBytes) {
  HttpResponse r = V1Create({{"x-image-meta-name", "with-data"},
                             {"x-image-meta-disk_format", "raw"},
                             {"x-image-meta-container_format", "bare"},
                             {"x-image-meta-size", "10"},
                             {"x-image-meta-checksum", kMd5Of0To9}},
                            "0123456789");
  ASSERT_EQ(r.status, 201) << r.body;
  json::object img = r.Json().at("image").as_object();
  std::string id(img.at("id").as_string());
  EXPECT_EQ(img.at("status").as_string(), "active");
  EXPECT_EQ(img.at("size").as_int64(), 10);
  EXPECT_EQ(img.at("checksum").as_string(), kMd5Of0To9);
  EXPECT_EQ(r.Header("etag").value_or(""), kMd5Of0To9);
  HttpResponse data = http_->Get("/v1/images/" + id, "tokA");
  ASSERT_EQ(data.status, 200);
  EXPECT_EQ(data.body, "0123456789");
  EXPECT_EQ(data.Header("content-type").value_or(""), "application/octet-stream");
  EXPECT_EQ(data.Header("x-image-meta-name").value_or(""), "with-data");
  EXPECT_EQ(data.Header("etag").value_or(""), kMd5Of0To9);
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/file", "tokA").body, "0123456789");
}

TEST_F(ImagesV1Test, CreateWithSizeZeroIsActiveAtOnce) {
  HttpResponse r = V1Create({{"x-image-meta-name", "empty"},
                             {"x-image-meta-disk_format", "raw"},
                             {"x-image-meta-container_format", "bare"},
                             {"x-image-meta-size", "0"}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id(r.Json().at("image").at("id").as_string());
  EXPECT_EQ(r.Json().at("image").at("status").as_string(), "active");
  HttpResponse data = http_->Get("/v1/images/" + id, "tokA");
  EXPECT_EQ(data.status, 200);
  EXPECT_EQ(data.body, "");
}

TEST_F(ImagesV1Test, CreateRefusals) {
  struct Case {
    Headers meta;
    long status;
    const char* needle;
  } cases[] = {
      {{{"x-image-meta-bogus", "1"}}, 400, "Bad header"},
      {{{"x-image-meta-", "1"}}, 400, "Bad header"},
      {{{"x-image-meta-property-", "1"}}, 400, "Bad header"},
      {{{"x-image-meta-is_public", "true"}}, 403, "publicize_image"},
      {{{"x-image-meta-disk_format", "floppy"}}, 400, "floppy"},
      {{{"x-image-meta-container_format", "zip"}}, 400, "zip"},
      {{{"x-image-meta-min_ram", "lots"}}, 400, "min_ram"},
      {{{"x-image-meta-min_disk", "-1"}}, 400, "min_disk"},
      {{{"x-image-meta-size", "big"}}, 400, "size"},
      {{{"x-image-meta-name", std::string(256, 'n')}}, 400, "name"},
      {{{"x-image-meta-id", "not-a-uuid"}}, 400, "UUID"},
      {{{"x-image-meta-disk_format", "aki"}, {"x-image-meta-container_format", "bare"}}, 400,
       "must match"},
      {{{"x-image-meta-store", "swift"}}, 400, "swift"},
      // An external location outside the allow-list (loopback only by default).
      {{{"x-image-meta-location", "http://192.0.2.1/x"},
        {"x-image-meta-disk_format", "raw"},
        {"x-image-meta-container_format", "bare"}},
       400,
       "location"},
      {{{"x-image-meta-uri", "http://127.0.0.1/x"}}, 400, "uri"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.meta[0].first + ": " + c.meta[0].second.substr(0, 20));
    ExpectError(V1Create(c.meta), c.status, c.needle);
  }
  ExpectError(V1Create({{"x-image-meta-name", "r"}}, "", "tokR"), 403, "add_image");
  EXPECT_EQ(V1Create({{"x-image-meta-name", "anon"}}, "", "").status, 401);
}

TEST_F(ImagesV1Test, CreateWithDataRefusals) {
  std::string tag = Tag();
  Headers fmt = {{"x-image-meta-name", tag},
                 {"x-image-meta-disk_format", "raw"},
                 {"x-image-meta-container_format", "bare"}};
  ExpectError(V1Create({{"x-image-meta-name", tag}}, "data"), 400, "Disk format is not specified.");
  ExpectError(V1Create({{"x-image-meta-name", tag}, {"x-image-meta-disk_format", "raw"}}, "data"),
              400, "Container format is not specified.");
  ExpectError(http_->Request("POST", "/v1/images", "tokA", "data",
                             {{"Content-Type", "text/plain"}, fmt[0], fmt[1], fmt[2]}),
              400, "application/octet-stream");
  Headers sized = fmt;
  sized.emplace_back("x-image-meta-size", "3");
  ExpectError(V1Create(sized, "data"), 400, "size");
  Headers summed = fmt;
  summed.emplace_back("x-image-meta-checksum", kMd5Of0To9);
  ExpectError(V1Create(summed, "not 0 to 9"), 400, "checksum");
  // No image of these refusals is left active or listed as such.
  for (const auto& name : V1Names("name=" + tag + "&status=active")) ADD_FAILURE() << name;
}

TEST_F(ImagesV1Test, ClientChosenIdAndDuplicateIdConflict) {
  std::string id = "4b0c2f56-0b2b-4b52-9f3a-8a5d6c7e8f90";
  EXPECT_EQ(V1CreateId({{"x-image-meta-id", id}, {"x-image-meta-name", "fixed"}}), id);
  ExpectError(V1Create({{"x-image-meta-id", id}}), 409, "already exists");
}

TEST_F(ImagesV1Test, OnlyAdminMakesImagesPublic) {
  HttpResponse r = V1Create({{"x-image-meta-name", "v1-public"}, {"x-image-meta-is_public", "True"}},
                            "", "admin");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id(r.Json().at("image").at("id").as_string());
  EXPECT_EQ(r.Json().at("image").at("is_public").as_bool(), true);
  EXPECT_EQ(V2(id, "tokB").at("visibility").as_string(), "public");
  // A non-admin may say "not public" (and nothing else).
  std::string mine = V1CreateId({{"x-image-meta-name", "np"}, {"x-image-meta-is_public", "false"}});
  EXPECT_EQ(V2(mine).at("visibility").as_string(), "shared");
  ExpectError(V1Put(mine, {{"x-image-meta-is_public", "yes"}}), 403, "publicize_image");
  // Admin takes it back: not public any more is `shared`.
  ASSERT_EQ(V1Put(id, {{"x-image-meta-is_public", "false"}}, "", "admin").status, 200);
  EXPECT_EQ(V2(id, "admin").at("visibility").as_string(), "shared");
}

TEST_F(ImagesV1Test, HeadReturnsTheMetadataAsHeaders) {
  std::string id = V1CreateId({{"x-image-meta-name", "headed"},
                               {"x-image-meta-disk_format", "raw"},
                               {"x-image-meta-container_format", "bare"},
                               {"x-image-meta-protected", "yes"},
                               {"x-image-meta-property-color", "red"}},
                              "0123456789");
  HttpResponse r = Head(id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.Header("x-image-meta-id").value_or(""), id);
  EXPECT_EQ(r.Header("x-image-meta-name").value_or(""), "headed");
  EXPECT_EQ(r.Header("x-image-meta-status").value_or(""), "active");
  EXPECT_EQ(r.Header("x-image-meta-size").value_or(""), "10");
  EXPECT_EQ(r.Header("x-image-meta-checksum").value_or(""), kMd5Of0To9);
  EXPECT_EQ(r.Header("x-image-meta-is_public").value_or(""), "False");
  EXPECT_EQ(r.Header("x-image-meta-protected").value_or(""), "True");
  EXPECT_EQ(r.Header("x-image-meta-deleted").value_or(""), "False");
  EXPECT_EQ(r.Header("x-image-meta-owner").value_or(""), "projA");
  EXPECT_EQ(r.Header("x-image-meta-property-color").value_or(""), "red");
  EXPECT_EQ(r.Header("etag").value_or(""), kMd5Of0To9);
  EXPECT_FALSE(r.Header("x-image-meta-location"));
  EXPECT_FALSE(r.Header("x-image-meta-deleted_at"));
  EXPECT_EQ(Head(kNoSuchImage).status, 404);
  EXPECT_EQ(Head(id, "tokB").status, 404);  // shared, but projB is no member
  EXPECT_EQ(Head(id, "admin").status, 200);
}

TEST_F(ImagesV1Test, GetNeedsAnActiveImage) {
  std::string queued = V1CreateId({{"x-image-meta-name", "q"}});
  ExpectError(http_->Get("/v1/images/" + queued, "tokA"), 404);
  std::string id = CreateActiveImage(*http_, "tokA", "deact", "bytes");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(http_->Request("POST", "/v2/images/" + id + "/actions/deactivate", "tokA").status, 204);
  ExpectError(http_->Get("/v1/images/" + id, "tokA"), 403, "deactivated");
  EXPECT_EQ(http_->Get("/v1/images/" + id, "admin").body, "bytes");
  ExpectError(http_->Get(std::string("/v1/images/") + kNoSuchImage, "tokA"), 404);
}

TEST_F(ImagesV1Test, PutReplacesMetadataAndPurgesPropertiesNotResent) {
  std::string id = V1CreateId({{"x-image-meta-name", "before"},
                               {"x-image-meta-property-a", "1"},
                               {"x-image-meta-property-b", "2"}});
  HttpResponse r = V1Put(id, {{"x-image-meta-name", "after"},
                              {"x-image-meta-min_disk", "3"},
                              {"x-image-meta-property-c", "3"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json::object img = r.Json().at("image").as_object();
  EXPECT_EQ(img.at("name").as_string(), "after");
  EXPECT_EQ(img.at("min_disk").as_int64(), 3);
  EXPECT_EQ(img.at("properties"), (json::object{{"c", "3"}}));  // a and b purged
  r = V1Put(id, {{"x-glance-registry-purge-props", "false"}, {"x-image-meta-property-d", "4"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("image").at("properties"), (json::object{{"c", "3"}, {"d", "4"}}));
  // (An empty value removes a property: members_clients_test.sh, as libcurl drops
  // empty headers.)
  json::object v2 = V2(id);
  EXPECT_EQ(v2.at("name").as_string(), "after");
  EXPECT_FALSE(v2.contains("a"));
  EXPECT_EQ(v2.at("c").as_string(), "3");
  EXPECT_EQ(v2.at("d").as_string(), "4");
  EXPECT_EQ(Head(id).Header("x-image-meta-property-d").value_or(""), "4");
}

TEST_F(ImagesV1Test, PutUploadsOnlyToAQueuedImage) {
  std::string id = V1CreateId({{"x-image-meta-name", "later"},
                               {"x-image-meta-disk_format", "raw"},
                               {"x-image-meta-container_format", "bare"},
                               {"x-image-meta-property-keep", "me"}});
  HttpResponse r = V1Put(id, {}, "0123456789");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object img = r.Json().at("image").as_object();
  EXPECT_EQ(img.at("status").as_string(), "active");
  EXPECT_EQ(img.at("checksum").as_string(), kMd5Of0To9);
  EXPECT_EQ(img.at("properties"), (json::object{{"keep", "me"}}));  // a body means no purge
  EXPECT_EQ(r.Header("etag").value_or(""), kMd5Of0To9);
  ExpectError(V1Put(id, {}, "more"), 409, "Cannot upload to an unqueued image");
  EXPECT_EQ(http_->Get("/v1/images/" + id, "tokA").body, "0123456789");
}

TEST_F(ImagesV1Test, AFailedV1UploadKillsTheImage) {
  std::string id = V1CreateId({{"x-image-meta-name", "to-be-killed"},
                               {"x-image-meta-disk_format", "raw"},
                               {"x-image-meta-container_format", "bare"}});
  ExpectError(V1Put(id, {{"x-image-meta-checksum", kMd5Of0To9}}, "other bytes"), 400, "checksum");
  EXPECT_EQ(Head(id).Header("x-image-meta-status").value_or(""), "killed");
  ExpectError(V1Put(id, {}, "0123456789"), 409, "Cannot upload to an unqueued image");
  ExpectError(http_->Get("/v1/images/" + id, "tokA"), 404);
  EXPECT_TRUE(V1Names("name=to-be-killed").empty());  // killed images are never listed
}

TEST_F(ImagesV1Test, PutRefusals) {
  std::string id = V1CreateId({{"x-image-meta-name", "guarded"},
                               {"x-image-meta-disk_format", "raw"},
                               {"x-image-meta-container_format", "bare"}},
                              "0123456789");
  ExpectError(V1Put(id, {{"x-image-meta-bogus", "1"}}), 400, "Bad header");
  ExpectError(V1Put(id, {{"x-image-meta-status", "queued"}}), 403, "status");
  ExpectError(V1Put(id, {{"x-image-meta-id", kNoSuchImage}}), 403, "id");
  ExpectError(V1Put(id, {{"x-image-meta-size", "11"}}), 403, "size");
  ExpectError(V1Put(id, {{"x-image-meta-checksum", "0"}}), 403, "checksum");
  ExpectError(V1Put(id, {{"x-image-meta-disk_format", "qcow2"}}), 403, "disk_format");
  ExpectError(V1Put(id, {{"x-image-meta-name", "x"}}, "", "tokB"), 404);
  ExpectError(V1Put(kNoSuchImage, {{"x-image-meta-name", "x"}}), 404);
  ExpectError(V1Put(id, {{"x-image-meta-name", "x"}}, "", "tokR"), 403);
  EXPECT_EQ(Head(id).Header("x-image-meta-name").value_or(""), "guarded");
}

TEST_F(ImagesV1Test, DeleteAnswers200AndTheImageIsGoneForBothApis) {
  std::string id = V1CreateId({{"x-image-meta-name", "doomed"}});
  ExpectError(http_->Request("DELETE", "/v1/images/" + id, "tokB"), 404);
  ExpectError(http_->Request("DELETE", "/v1/images/" + id, "tokR"), 403);
  HttpResponse r = http_->Request("DELETE", "/v1/images/" + id, "tokA");
  EXPECT_EQ(r.status, 200);  // the code's 200, not the api-ref's 204
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Head(id).status, 404);
  EXPECT_EQ(http_->Get("/v2/images/" + id, "tokA").status, 404);
  ExpectError(http_->Request("DELETE", "/v1/images/" + id, "tokA"), 404);
  std::string prot = V1CreateId({{"x-image-meta-name", "kept"}, {"x-image-meta-protected", "True"}});
  ExpectError(http_->Request("DELETE", "/v1/images/" + prot, "tokA"), 403, "protected");
}

TEST_F(ImagesV1Test, BriefAndDetailedListsCarryTheirKeys) {
  std::string tag = Tag();
  std::string id = V1CreateId({{"x-image-meta-name", tag}, {"x-image-meta-property-t", tag}});
  json::value brief = http_->Get("/v1/images?name=" + tag, "tokA").Json();
  ASSERT_EQ(brief.at("images").as_array().size(), 1u);
  json::object b = brief.at("images").as_array()[0].as_object();
  std::vector<std::string> keys;
  for (const auto& kv : b) keys.emplace_back(kv.key());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"checksum", "container_format", "disk_format", "id",
                                            "name", "size"}));
  json::value detail = http_->Get("/v1/images/detail?name=" + tag, "tokA").Json();
  json::object d = detail.at("images").as_array()[0].as_object();
  EXPECT_EQ(d.at("id").as_string(), id);
  for (const char* k : {"status", "is_public", "owner", "protected", "min_ram", "min_disk",
                        "created_at", "updated_at", "deleted", "deleted_at", "properties"}) {
    EXPECT_TRUE(d.contains(k)) << k;
  }
  EXPECT_EQ(d.at("properties").at("t").as_string(), tag);
  EXPECT_EQ(http_->Request("HEAD", "/v1/images/detail", "tokA").status, 405);
}

TEST_F(ImagesV1Test, ListFiltersSortAndPage) {
  std::string t = Tag();
  auto mk = [&](const std::string& name, const std::string& data, Headers more) {
    Headers h = {{"x-image-meta-name", name},
                 {"x-image-meta-disk_format", "raw"},
                 {"x-image-meta-container_format", "bare"},
                 {"x-image-meta-property-batch", t}};
    h.insert(h.end(), more.begin(), more.end());
    return V1CreateId(h, data);
  };
  mk("a-small", "12", {{"x-image-meta-min_ram", "64"}});
  std::string mid = mk("b-mid", "123456", {{"x-image-meta-protected", "true"}});
  mk("c-big", "1234567890", {{"x-image-meta-property-color", "red"}});
  V1CreateId({{"x-image-meta-name", "d-queued"}, {"x-image-meta-property-batch", t}});
  std::string q = "property-batch=" + t;
  EXPECT_EQ(V1Names(q), (std::vector<std::string>{"d-queued", "c-big", "b-mid", "a-small"}));
  EXPECT_EQ(V1Names(q + "&sort_key=name&sort_dir=asc"),
            (std::vector<std::string>{"a-small", "b-mid", "c-big", "d-queued"}));
  EXPECT_EQ(V1Names(q + "&sort_key=size&sort_dir=desc&status=active"),
            (std::vector<std::string>{"c-big", "b-mid", "a-small"}));
  EXPECT_EQ(V1Names(q + "&status=queued"), (std::vector<std::string>{"d-queued"}));
  EXPECT_EQ(V1Names(q + "&size_min=6&size_max=6"), (std::vector<std::string>{"b-mid"}));
  EXPECT_EQ(V1Names(q + "&size_min=7"), (std::vector<std::string>{"c-big"}));
  EXPECT_EQ(V1Names(q + "&min_ram=64"), (std::vector<std::string>{"a-small"}));
  EXPECT_EQ(V1Names(q + "&protected=True"), (std::vector<std::string>{"b-mid"}));
  EXPECT_EQ(V1Names(q + "&property-color=red"), (std::vector<std::string>{"c-big"}));
  EXPECT_EQ(V1Names(q + "&name=b-mid", "tokA", true), (std::vector<std::string>{"b-mid"}));
  EXPECT_EQ(V1Names(q + "&disk_format=raw&container_format=bare").size(), 3u);
  EXPECT_TRUE(V1Names(q, "tokB").empty());  // projB sees none of projA's images
  // Paging with limit and marker (no links: clients page with marker).
  EXPECT_EQ(V1Names(q + "&sort_key=name&sort_dir=asc&limit=2"),
            (std::vector<std::string>{"a-small", "b-mid"}));
  EXPECT_EQ(V1Names(q + "&sort_key=name&sort_dir=asc&limit=2&marker=" + mid),
            (std::vector<std::string>{"c-big", "d-queued"}));
  EXPECT_TRUE(V1Names(q + "&limit=0").empty());
}

TEST_F(ImagesV1Test, ChangesSinceAlsoListsDeletedImages) {
  std::string t = Tag();
  std::string gone = V1CreateId({{"x-image-meta-name", "gone"}, {"x-image-meta-property-batch", t}});
  V1CreateId({{"x-image-meta-name", "stays"}, {"x-image-meta-property-batch", t}});
  ASSERT_EQ(http_->Request("DELETE", "/v1/images/" + gone, "tokA").status, 200);
  std::string q = "property-batch=" + t;
  EXPECT_EQ(V1Names(q), (std::vector<std::string>{"stays"}));
  HttpResponse r = http_->Get("/v1/images/detail?" + q + "&changes-since=2000-01-01T00:00:00", "tokA");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value page = r.Json();
  std::vector<std::string> seen;
  for (const auto& img : page.at("images").as_array()) {
    seen.emplace_back(img.at("name").as_string());
    if (img.at("name") == "gone") {
      EXPECT_EQ(img.at("status").as_string(), "deleted");
      EXPECT_EQ(img.at("deleted").as_bool(), true);
      EXPECT_TRUE(IsV1Time(img.at("deleted_at")));
    }
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"gone", "stays"}));
  EXPECT_TRUE(V1Names(q + "&changes-since=2999-01-01T00:00:00").empty());
}

TEST_F(ImagesV1Test, ListRefusesBadParameters) {
  for (const char* bad : {"limit=-1", "limit=abc", "marker=abc", "sort_key=owner",
                          "sort_dir=sideways", "size_min=abc", "size_max=-3", "min_ram=x",
                          "protected=maybe", "changes-since=yesterday"}) {
    SCOPED_TRACE(bad);
    ExpectError(http_->Get(std::string("/v1/images?") + bad, "tokA"), 400);
    ExpectError(http_->Get(std::string("/v1/images/detail?") + bad, "tokA"), 400);
  }
  ExpectError(http_->Get(std::string("/v1/images?marker=") + kNoSuchImage, "tokA"), 400,
              "Invalid marker");
  std::string hidden = V1CreateId({{"x-image-meta-name", "not-for-b"}});
  ExpectError(http_->Get("/v1/images?marker=" + hidden, "tokB"), 400, "Invalid marker");
}

TEST_F(ImagesV1Test, IsPublicFilterIsHonouredForAdminsOnly) {
  std::string t = Tag();
  std::string q = "property-batch=" + t;
  V1CreateId({{"x-image-meta-name", "a-private"}, {"x-image-meta-property-batch", t}});
  V1CreateId({{"x-image-meta-name", "admin-public"},
              {"x-image-meta-is_public", "true"},
              {"x-image-meta-property-batch", t}},
             "", "admin");
  // Admin without is_public (or with true) is listed like any project.
  EXPECT_EQ(V1Names(q, "admin"), (std::vector<std::string>{"admin-public"}));
  EXPECT_EQ(V1Names(q + "&is_public=true", "admin"), (std::vector<std::string>{"admin-public"}));
  EXPECT_EQ(V1Names(q + "&is_public=false", "admin"), (std::vector<std::string>{"a-private"}));
  EXPECT_EQ(V1Names(q + "&is_public=none", "admin"),
            (std::vector<std::string>{"admin-public", "a-private"}));
  // Others: ignored.
  EXPECT_EQ(V1Names(q + "&is_public=false", "tokA"),
            (std::vector<std::string>{"admin-public", "a-private"}));
  EXPECT_EQ(V1Names(q + "&is_public=none", "tokB"), (std::vector<std::string>{"admin-public"}));
}

// ---------------------------------------------------------------- memberships

class ImagesV1MembersTest : public ImagesV1Test {
 protected:
  std::string SharedImage(const std::string& name = "v1-shared") {
    return V1CreateId({{"x-image-meta-name", name},
                       {"x-image-meta-disk_format", "raw"},
                       {"x-image-meta-container_format", "bare"}},
                      "0123456789");
  }
  static std::string MembersPath(const std::string& id) { return "/v1/images/" + id + "/members"; }
  HttpResponse PutMember(const std::string& id, const std::string& member,
                         const std::string& body = "", const std::string& token = "tokA") {
    return http_->Put(MembersPath(id) + "/" + member, token, body, false, -1,
                      body.empty() ? "" : "application/json");
  }
  HttpResponse ReplaceAll(const std::string& id, const std::string& body,
                          const std::string& token = "tokA") {
    return http_->Put(MembersPath(id), token, body, false, -1, "application/json");
  }
  // {member_id: can_share} of GET /v1/images/{id}/members, as "id:true|false" strings.
  std::vector<std::string> V1Members(const std::string& id, const std::string& token = "tokA") {
    HttpResponse r = http_->Get(MembersPath(id), token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    json::value v = r.Json();
    if (!v.is_object()) return out;
    EXPECT_EQ(v.as_object().size(), 1u);
    for (const auto& m : v.at("members").as_array()) {
      EXPECT_EQ(m.as_object().size(), 2u);
      out.push_back(std::string(m.at("member_id").as_string()) + ":" +
                    (m.at("can_share").as_bool() ? "true" : "false"));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // member_id/status of the v2 members list, as the owner sees it.
  std::vector<std::string> V2Members(const std::string& id) {
    HttpResponse r = http_->Get("/v2/images/" + id + "/members", "tokA");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    json::value v = r.Json();
    if (!v.is_object()) return out;
    for (const auto& m : v.at("members").as_array()) {
      out.push_back(std::string(m.at("member_id").as_string()) + "/" +
                    std::string(m.at("status").as_string()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // "image_id:can_share" of GET /v1/shared-images/{member} for the images in `only`
  // (the suite's other tests share projects too).
  std::vector<std::string> SharedWith(const std::string& member, const std::string& token,
                                      const std::vector<std::string>& only) {
    HttpResponse r = http_->Get("/v1/shared-images/" + member, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    json::value v = r.Json();
    if (!v.is_object()) return out;
    EXPECT_EQ(v.as_object().size(), 1u);
    for (const auto& s : v.at("shared_images").as_array()) {
      EXPECT_EQ(s.as_object().size(), 2u);
      std::string id(s.at("image_id").as_string());
      if (std::find(only.begin(), only.end(), id) == only.end()) continue;
      out.push_back(std::string(s.at("image_id").as_string()) + ":" +
                    (s.at("can_share").as_bool() ? "true" : "false"));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(ImagesV1MembersTest, PutMemberWithoutBodyAddsAPendingMemberWithoutCanShare) {
  std::string id = SharedImage();
  HttpResponse r = PutMember(id, "projB");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false"}));
  EXPECT_EQ(V2Members(id), (std::vector<std::string>{"projB/pending"}));
  EXPECT_EQ(SharedWith("projB", "tokB", {id}), (std::vector<std::string>{id + ":false"}));
  // v1 lists show it to the member whatever its answer; v2 default lists once accepted.
  HttpResponse detail = http_->Get("/v1/images/detail?limit=1000", "tokB");
  EXPECT_NE(detail.body.find(id), std::string::npos);
  EXPECT_EQ(http_->Get("/v2/images?limit=1000", "tokB").body.find(id), std::string::npos);
  EXPECT_NE(http_->Get("/v2/images?limit=1000&member_status=pending", "tokB").body.find(id),
            std::string::npos);
  EXPECT_EQ(http_->Get("/v1/images/" + id, "tokB").body, "0123456789");
  EXPECT_EQ(Head(id, "tokB").status, 200);
}

TEST_F(ImagesV1MembersTest, PutMemberBodySetsCanShareOnNewAndExistingMembers) {
  std::string id = SharedImage();
  EXPECT_EQ(PutMember(id, "projB", R"({"member": {"can_share": true}})").status, 204);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:true"}));
  EXPECT_EQ(PutMember(id, "projB").status, 204);  // no body: unchanged
  EXPECT_EQ(PutMember(id, "projB", "{}").status, 204);  // an empty object is no body
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:true"}));
  EXPECT_EQ(PutMember(id, "projB", R"({"member": {"can_share": false}})").status, 204);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false"}));
  // A v2 answer survives v1 updates of the same membership.
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/members/projB", "tokB", R"({"status": "accepted"})",
                       false, -1, "application/json")
                .status,
            200);
  EXPECT_EQ(PutMember(id, "projB", R"({"member": {"can_share": true}})").status, 204);
  EXPECT_EQ(V2Members(id), (std::vector<std::string>{"projB/accepted"}));
  EXPECT_EQ(SharedWith("projB", "tokB", {id}), (std::vector<std::string>{id + ":true"}));
}

TEST_F(ImagesV1MembersTest, PutMemberRefusesMalformedBodies) {
  std::string id = SharedImage();
  for (const char* body : {R"({"member_id": "projB", "can_share": true})",  // the api-ref's sample
                           R"({"member": true})", R"({"member": {"can_share": "true"}})",
                           "[1]", "{bad"}) {
    SCOPED_TRACE(body);
    ExpectError(PutMember(id, "projB", body), 400);
  }
  EXPECT_TRUE(V1Members(id).empty());
}

// tempest's v1 client sends {"member": {}}: can_share not given, so a new member
// gets false and an existing one keeps what it had.
TEST_F(ImagesV1MembersTest, PutMemberWithoutCanShareKeepsOrDefaultsIt) {
  std::string id = SharedImage();
  ASSERT_EQ(PutMember(id, "projB", R"({"member": {}})").status, 204);
  ASSERT_EQ(PutMember(id, "projC", R"({"member": {"can_share": true}})").status, 204);
  ASSERT_EQ(PutMember(id, "projC", R"({"member": {}})").status, 204);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false", "projC:true"}));
}

TEST_F(ImagesV1MembersTest, ReplacingTheListKeepsOnlyTheNamedMembers) {
  std::string id = SharedImage();
  ASSERT_EQ(PutMember(id, "projB", R"({"member": {"can_share": true}})").status, 204);
  ASSERT_EQ(PutMember(id, "projC").status, 204);
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/members/projB", "tokB", R"({"status": "accepted"})",
                       false, -1, "application/json")
                .status,
            200);
  HttpResponse r = ReplaceAll(id, R"({"memberships": [{"member_id": "projB"},
                                                     {"member_id": "projD", "can_share": true},
                                                     {"member_id": "projE"}]})");
  EXPECT_EQ(r.status, 204) << r.body;
  // projB kept its can_share and its v2 answer; projC is gone; the new ones are pending.
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:true", "projD:true", "projE:false"}));
  EXPECT_EQ(V2Members(id),
            (std::vector<std::string>{"projB/accepted", "projD/pending", "projE/pending"}));
  ExpectError(http_->Get("/v2/images/" + id, "tokC"), 404);
  ASSERT_EQ(ReplaceAll(id, R"({"memberships": [{"member_id": "projB", "can_share": false}]})").status,
            204);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false"}));
  ASSERT_EQ(ReplaceAll(id, R"({"memberships": []})").status, 204);
  EXPECT_TRUE(V1Members(id).empty());
}

TEST_F(ImagesV1MembersTest, ReplacingTheListRefusals) {
  std::string id = SharedImage();
  ASSERT_EQ(PutMember(id, "projB").status, 204);
  for (const char* body : {"", "{bad", "{}", R"({"memberships": "projB"})",
                           R"({"memberships": [{"can_share": true}]})",
                           R"({"memberships": [{"member_id": ""}]})",
                           R"({"memberships": [{"member_id": "projC", "can_share": 1}]})",
                           R"({"memberships": [{"member_id": "projC"}, {"member_id": "projC"}]})"}) {
    SCOPED_TRACE(body);
    ExpectError(ReplaceAll(id, body), 400);
  }
  std::string many = R"({"memberships": [)";
  for (int i = 0; i < 129; ++i) many += (i ? ",{\"member_id\": \"m" : "{\"member_id\": \"m") + std::to_string(i) + "\"}";
  many += "]}";
  ExpectError(ReplaceAll(id, many), 413);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false"}));
  ExpectError(ReplaceAll(id, R"({"memberships": []})", "tokB"), 403, "No permission to share that image");
  ExpectError(ReplaceAll(id, R"({"memberships": []})", "tokE"), 404);
  ExpectError(ReplaceAll(kNoSuchImage, R"({"memberships": []})"), 404);
}

TEST_F(ImagesV1MembersTest, DeleteMember) {
  std::string id = SharedImage();
  ASSERT_EQ(PutMember(id, "projB").status, 204);
  ExpectError(http_->Request("DELETE", MembersPath(id) + "/projB", "tokB"), 403,
              "No permission to share that image");
  ExpectError(http_->Request("DELETE", MembersPath(id) + "/projB", "tokE"), 404);
  ExpectError(http_->Request("DELETE", MembersPath(id) + "/projB", "tokR"), 403);
  HttpResponse r = http_->Request("DELETE", MembersPath(id) + "/projB", "tokA");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  ExpectError(http_->Request("DELETE", MembersPath(id) + "/projB", "tokA"), 404);
  EXPECT_TRUE(V2Members(id).empty());
  EXPECT_EQ(Head(id, "tokB").status, 404);
}

TEST_F(ImagesV1MembersTest, AMemberWithCanShareMayShareFurtherAndOthersMayNot) {
  std::string id = SharedImage();
  ASSERT_EQ(PutMember(id, "projB", R"({"member": {"can_share": true}})").status, 204);
  ASSERT_EQ(PutMember(id, "projC").status, 204);
  // projC holds no can_share: every change is refused.
  ExpectError(PutMember(id, "projD", "", "tokC"), 403, "No permission to share that image");
  ExpectError(PutMember(id, "projC", R"({"member": {"can_share": true}})", "tokC"), 403,
              "No permission to share that image");
  ExpectError(http_->Request("DELETE", MembersPath(id) + "/projB", "tokC"), 403);
  // projB (can_share) adds projD; projD starts pending and can read the image.
  EXPECT_EQ(PutMember(id, "projD", "", "tokB").status, 204);
  EXPECT_EQ(V2Members(id), (std::vector<std::string>{"projB/pending", "projC/pending",
                                                     "projD/pending"}));
  EXPECT_EQ(http_->Get("/v1/images/" + id, "tokD").body, "0123456789");
  // A delegate sees the memberships it manages; a plain member only its own.
  EXPECT_EQ(V1Members(id, "tokB"),
            (std::vector<std::string>{"projB:true", "projC:false", "projD:false"}));
  EXPECT_EQ(V1Members(id, "tokC"), (std::vector<std::string>{"projC:false"}));
  // Without can_share any more, projB is a plain member again.
  ASSERT_EQ(PutMember(id, "projB", R"({"member": {"can_share": false}})").status, 204);
  ExpectError(PutMember(id, "projE", "", "tokB"), 403, "No permission to share that image");
  // v2 knows no delegation: only the owner adds members there.
  ExpectError(http_->PostJson("/v2/images/" + id + "/members", "tokB", R"({"member": "projE"})"),
              403);
}

TEST_F(ImagesV1MembersTest, OnlySharedImagesTakeNewMembers) {
  std::string priv = V1CreateId({{"x-image-meta-name", "p"}});
  ASSERT_EQ(http_->Patch("/v2/images/" + priv, "tokA",
                         R"([{"op": "replace", "path": "/visibility", "value": "private"}])")
                .status,
            200);
  ExpectError(PutMember(priv, "projB"), 403, "Only shared images have members");
  ExpectError(ReplaceAll(priv, R"({"memberships": [{"member_id": "projB"}]})"), 403,
              "Only shared images have members");
  EXPECT_TRUE(V1Members(priv).empty());
  ExpectError(PutMember(priv, "projB", "", "tokB"), 404);
  ExpectError(http_->Get(MembersPath(priv), "tokB"), 404);
  // A public image lists no members to anyone who can see it.
  std::string pub = V1CreateId({{"x-image-meta-name", "pub"}, {"x-image-meta-is_public", "true"}},
                               "", "admin");
  EXPECT_TRUE(V1Members(pub, "tokB").empty());
  ExpectError(PutMember(pub, "projB", "", "admin"), 403, "Only shared images have members");
}

TEST_F(ImagesV1MembersTest, V2MembersAreV1MembersAndTheReverse) {
  std::string id = SharedImage();
  ASSERT_EQ(http_->PostJson("/v2/images/" + id + "/members", "tokA", R"({"member": "projB"})").status,
            200);
  ASSERT_EQ(PutMember(id, "projC").status, 204);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false", "projC:false"}));
  EXPECT_EQ(V2Members(id), (std::vector<std::string>{"projB/pending", "projC/pending"}));
  ASSERT_EQ(http_->Request("DELETE", "/v2/images/" + id + "/members/projC", "tokA").status, 204);
  EXPECT_EQ(V1Members(id), (std::vector<std::string>{"projB:false"}));
  ASSERT_EQ(http_->Request("DELETE", MembersPath(id) + "/projB", "tokA").status, 204);
  EXPECT_TRUE(V2Members(id).empty());
  // Memberships go with their image.
  ASSERT_EQ(PutMember(id, "projD").status, 204);
  ASSERT_EQ(http_->Request("DELETE", "/v1/images/" + id, "tokA").status, 200);
  EXPECT_TRUE(SharedWith("projD", "tokD", {id}).empty());
}

TEST_F(ImagesV1MembersTest, SharedImagesListsAProjectsMembershipsToThoseWhoMaySeeThem) {
  std::string x = SharedImage("x");
  std::string y = SharedImage("y");
  std::string z = V1CreateId({{"x-image-meta-name", "z"}}, "", "tokC");  // projC's own
  ASSERT_EQ(PutMember(x, "projB", R"({"member": {"can_share": true}})").status, 204);
  ASSERT_EQ(PutMember(x, "projD").status, 204);
  ASSERT_EQ(PutMember(y, "projB").status, 204);
  ASSERT_EQ(PutMember(z, "projB", "", "tokC").status, 204);
  const std::vector<std::string> all = {x, y, z};
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(SharedWith("projB", "tokB", all), sorted({x + ":true", y + ":false", z + ":false"}));
  // An owner sees the memberships on its own images only.
  EXPECT_EQ(SharedWith("projB", "tokA", all), sorted({x + ":true", y + ":false"}));
  EXPECT_EQ(SharedWith("projB", "tokC", all), (std::vector<std::string>{z + ":false"}));
  // Another member of x learns nothing of projB; nor does a stranger.
  EXPECT_TRUE(SharedWith("projB", "tokD", all).empty());
  EXPECT_TRUE(SharedWith("projB", "tokE", all).empty());
  EXPECT_EQ(http_->Get("/v1/shared-images/nobody", "tokA").body, R"({"shared_images":[]})");
  EXPECT_EQ(SharedWith("projB", "admin", all).size(), 3u);
  EXPECT_EQ(SharedWith("projD", "tokD", all), (std::vector<std::string>{x + ":false"}));
  // Made private, x no longer counts as shared with projB.
  ASSERT_EQ(http_->Patch("/v2/images/" + x, "tokA",
                         R"([{"op": "replace", "path": "/visibility", "value": "private"}])")
                .status,
            200);
  EXPECT_EQ(SharedWith("projB", "tokB", all), sorted({y + ":false", z + ":false"}));
  EXPECT_TRUE(SharedWith("projB", "tokA", {x}).empty());
}

TEST_F(ImagesV1MembersTest, RoutingOfTheV1MembersPaths) {
  std::string id = SharedImage();
  ASSERT_EQ(PutMember(id, "projB").status, 204);
  HttpResponse r = http_->Get(MembersPath(id) + "/projB", "tokA");  // route without a GET
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow").value_or(""), "PUT, DELETE");
  ExpectError(http_->Get(MembersPath(kNoSuchImage), "tokA"), 404);
  ExpectError(http_->Get(MembersPath(id), "tokE"), 404);
  ExpectError(http_->Get(MembersPath(id), ""), 401);
  ExpectError(http_->Request("DELETE", MembersPath(id) + "/projB", "tokA", "x"), 400,
              "A body is not expected");
  ExpectError(PutMember(id, "projC", "", "tokR"), 403);
}

}  // namespace
}  // namespace imagefs::testing
