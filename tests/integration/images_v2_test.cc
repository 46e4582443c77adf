// The Images API v2 metadata calls against the real imaged on 127.0.0.1: create,
// show, list, PATCH, tags, actions, delete, discovery, and the refusals, each with
// its status code and a JSON error body, and the catalog intact afterwards.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_fixture.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;

class ImagesV2Test : public ImagedTest<ImagesV2Test> {
 protected:
  // Creates an image from a JSON body as `token`; returns its JSON (fails the test if not 201).
  json::object Create(const std::string& body, const std::string& token = "tokA") {
    HttpResponse r = http_->PostJson("/v2/images", token, body);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    return r.Json().as_object();
  }
  std::string CreateId(const std::string& body, const std::string& token = "tokA") {
    json::object o = Create(body, token);
    return o.contains("id") ? std::string(o.at("id").as_string()) : std::string();
  }
  // Expects `status` and a JSON error body whose message contains `needle`.
  static void ExpectError(const HttpResponse& r, long status, const std::string& needle = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("content-type").value_or(""), "application/json") << r.body;
    json::value v = r.Json();
    ASSERT_TRUE(v.is_object()) << r.body;
    const json::object& error = v.as_object().at("error").as_object();
    std::string message(error.at("message").as_string());
    EXPECT_NE(message.find(needle), std::string::npos) << message;
    EXPECT_EQ(error.at("code").as_string().subview().substr(0, 3), std::to_string(status));
  }
  // Every image in the catalog as the admin lists it (hidden ones included), in id
  // order: the "catalog intact" check compares this before and after bad input.
  std::string CatalogSnapshot() {
    std::map<std::string, std::string> by_id;
    for (const char* hidden : {"false", "true"}) {
      std::string path = std::string("/v2/images?limit=1000&os_hidden=") + hidden;
      while (!path.empty()) {
        HttpResponse r = http_->Get(path, "admin");
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status != 200) return "";
        json::object page = r.Json().as_object();
        for (const json::value& image : page.at("images").as_array()) {
          by_id[std::string(image.at("id").as_string())] = json::serialize(image);
        }
        path = page.contains("next") ? std::string(page.at("next").as_string()) : "";
      }
    }
    std::string all;
    for (const auto& [id, image] : by_id) all += image + "\n";
    return all;
  }
  std::vector<std::string> ListNames(const std::string& query, const std::string& token = "tokA") {
    HttpResponse r = http_->Get("/v2/images" + query, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    json::value page = r.Json();
    for (const auto& img : page.at("images").as_array()) {
      names.emplace_back(img.at("name").is_null() ? "" : img.at("name").as_string().c_str());
    }
    return names;
  }
};

TEST_F(ImagesV2Test, RootAnswersMultipleChoicesWithVersions) {
  HttpResponse r = http_->Get("/", "");
  EXPECT_EQ(r.status, 300);
  json::array versions = r.Json().at("versions").as_array();
  ASSERT_FALSE(versions.empty());
  EXPECT_EQ(versions[0].at("status").as_string(), "CURRENT");
  for (const auto& v : versions) {
    EXPECT_TRUE(v.as_object().contains("id"));
    EXPECT_TRUE(v.as_object().contains("links"));
  }
  EXPECT_EQ(http_->Get("/versions", "").status, 200);
  EXPECT_EQ(http_->Get("/v9/images", "").status, 300);
}

TEST_F(ImagesV2Test, EveryResponseCarriesARequestId) {
  HttpResponse r = http_->Get("/v2/images", "tokA");
  EXPECT_EQ(r.Header("x-openstack-request-id").value_or("").substr(0, 4), "req-");
  r = http_->Get("/v2/images", "tokA", {{"X-Openstack-Request-Id", "abc"}});
  EXPECT_EQ(r.Header("x-openstack-request-id").value_or(""), "req-abc");
}

TEST_F(ImagesV2Test, CreateWithEmptyBodyGivesQueuedSharedImageOwnedByCaller) {
  json::object img = Create("{}");
  EXPECT_EQ(img.at("status").as_string(), "queued");
  EXPECT_EQ(img.at("visibility").as_string(), "shared");
  EXPECT_EQ(img.at("owner").as_string(), "projA");
  EXPECT_TRUE(img.at("size").is_null());
  EXPECT_EQ(img.at("min_ram").as_int64(), 0);
  EXPECT_EQ(img.at("protected").as_bool(), false);
  EXPECT_EQ(img.at("tags").as_array().size(), 0u);
  std::string id(img.at("id").as_string());
  EXPECT_EQ(img.at("self").as_string(), "/v2/images/" + id);
  EXPECT_EQ(img.at("schema").as_string(), "/v2/schemas/image");
}

TEST_F(ImagesV2Test, CreateSetsLocationHeaderAndKeepsCustomProperties) {
  HttpResponse r = http_->PostJson(
      "/v2/images", "tokA",
      R"({"name": "cirros", "disk_format": "qcow2", "container_format": "bare",
          "visibility": "private", "min_disk": 1, "min_ram": 64, "tags": ["t1", "t2", "t1"],
          "os_distro": "cirros", "hw_disk_bus": "virtio"})");
  ASSERT_EQ(r.status, 201) << r.body;
  json::object img = r.Json().as_object();
  std::string id(img.at("id").as_string());
  EXPECT_EQ(r.Header("location").value_or(""), imaged_->url() + "/v2/images/" + id);
  EXPECT_EQ(img.at("hw_disk_bus").as_string(), "virtio");
  EXPECT_EQ(img.at("tags").as_array().size(), 2u);  // a set
  HttpResponse shown = http_->Get("/v2/images/" + id, "tokA");
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.Json().at("os_distro").as_string(), "cirros");
  EXPECT_EQ(shown.Json().at("min_ram").as_int64(), 64);
}

TEST_F(ImagesV2Test, ClientChosenIdAndDuplicateIdConflict) {
  std::string id = "11111111-2222-3333-4444-555555555555";
  json::object img = Create(R"({"id": ")" + id + R"(", "name": "fixed"})");
  EXPECT_EQ(img.at("id").as_string(), id);
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"id": ")" + id + R"("})"), 409,
              "already exists");
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"id": "abc"})"), 400, "does not match");
}

TEST_F(ImagesV2Test, CreateRefusesBadBodiesWithTheRightCodes) {
  struct Case {
    const char* body;
    long status;
    const char* needle;
  } cases[] = {
      {"", 400, "Body expected"},
      {"{not json", 400, "Malformed JSON"},
      {"[1, 2]", 400, ""},
      {R"({"disk_format": "floppy"})", 400, "'floppy'"},
      {R"({"container_format": "zip"})", 400, "'zip'"},
      {R"({"visibility": "everyone"})", 400, "'everyone'"},
      {R"({"min_ram": -1})", 400, "Cannot be a negative value"},
      {R"({"min_disk": "1"})", 400, "is not of type 'integer'"},
      {R"({"protected": "yes"})", 400, "is not of type 'boolean'"},
      {R"({"tags": "a"})", 400, "is not of type 'array'"},
      {R"({"answer": 42})", 400, "is not of type 'string'"},
      {R"({"status": "active"})", 403, "Attribute 'status' is read-only."},
      {R"({"size": 10})", 403, "Attribute 'size' is read-only."},
      {R"({"checksum": "abc"})", 403, "read-only"},
      {R"({"created_at": "2020-01-01T00:00:00Z"})", 403, "read-only"},
      {R"({"self": "/x"})", 403, "read-only"},
      {R"({"location": "http://x"})", 403, "reserved"},
      {R"({"locations": []})", 403, "reserved"},
      {R"({"os_glance_foo": "x"})", 403, "reserved"},
      {R"({"visibility": "public"})", 403, "publicize_image"},
      {R"({"owner": "projB"})", 403, "projB"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(http_->PostJson("/v2/images", "tokA", c.body), c.status, c.needle);
  }
  std::string long_name(256, 'n');
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"name": ")" + long_name + R"("})"), 400,
              "too long");
  std::string long_key(256, 'k');
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({")" + long_key + R"(": "v"})"), 400,
              "255");
  std::string long_value(300, 'v');
  Create(R"({"note": ")" + long_value + R"("})");  // long values are fine
}

TEST_F(ImagesV2Test, AdminMayCreatePublicImagesForOtherOwners) {
  json::object img = Create(R"({"visibility": "public", "owner": "projB", "name": "pub"})", "admin");
  EXPECT_EQ(img.at("owner").as_string(), "projB");
  EXPECT_EQ(img.at("visibility").as_string(), "public");
}

TEST_F(ImagesV2Test, ReaderRoleCannotWrite) {
  ExpectError(http_->PostJson("/v2/images", "tokR", "{}"), 403, "add_image");
  EXPECT_EQ(http_->Get("/v2/images", "tokR").status, 200);
}

TEST_F(ImagesV2Test, MissingOrUnknownTokenIs401) {
  ExpectError(http_->Get("/v2/images", ""), 401);
  ExpectError(http_->Get("/v2/images", "nope"), 401);
  ExpectError(http_->Get("/v2/schemas/image", ""), 401);
}

TEST_F(ImagesV2Test, ShowOfUnknownOrInvisibleImageIs404) {
  ExpectError(http_->Get("/v2/images/00000000-0000-0000-0000-000000000000", "tokA"), 404,
              "No image found with ID");
  ExpectError(http_->Get("/v2/images/not-a-uuid", "tokA"), 404);
  std::string priv = CreateId(R"({"visibility": "private", "name": "secret"})");
  ExpectError(http_->Get("/v2/images/" + priv, "tokB"), 404, "No image found with ID");
  std::string upper = priv;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_EQ(http_->Get("/v2/images/" + upper, "tokA").status, 404);
  EXPECT_EQ(http_->Get("/v2/images/", "tokA").status, 404);
}

TEST_F(ImagesV2Test, VisibilityDecidesWhoSeesWhat) {
  std::string priv = CreateId(R"({"visibility": "private", "name": "vis-private"})");
  std::string comm = CreateId(R"({"visibility": "community", "name": "vis-community"})");
  std::string shared = CreateId(R"({"visibility": "shared", "name": "vis-shared"})");
  std::string pub = CreateId(R"({"visibility": "public", "name": "vis-public"})", "admin");
  EXPECT_EQ(http_->Get("/v2/images/" + priv, "tokB").status, 404);
  EXPECT_EQ(http_->Get("/v2/images/" + shared, "tokB").status, 404);
  EXPECT_EQ(http_->Get("/v2/images/" + comm, "tokB").status, 200);
  EXPECT_EQ(http_->Get("/v2/images/" + pub, "tokB").status, 200);
  EXPECT_EQ(http_->Get("/v2/images/" + priv, "admin").status, 200);
  auto b = ListNames("?limit=1000", "tokB");
  EXPECT_EQ(std::count(b.begin(), b.end(), "vis-public"), 1);
  EXPECT_EQ(std::count(b.begin(), b.end(), "vis-community"), 0);  // others' community: not by default
  EXPECT_EQ(std::count(b.begin(), b.end(), "vis-private"), 0);
  EXPECT_EQ(std::count(b.begin(), b.end(), "vis-shared"), 0);
  auto bc = ListNames("?limit=1000&visibility=community", "tokB");
  EXPECT_EQ(std::count(bc.begin(), bc.end(), "vis-community"), 1);
  auto a = ListNames("?limit=1000", "tokA");
  for (const char* n : {"vis-private", "vis-community", "vis-shared", "vis-public"}) {
    EXPECT_EQ(std::count(a.begin(), a.end(), n), 1) << n;
  }
  // Writes on a visible but foreign image are 403, on an invisible one 404.
  ExpectError(http_->Patch("/v2/images/" + pub, "tokB", "[]"), 403, "You do not own this image");
  ExpectError(http_->Patch("/v2/images/" + priv, "tokB", "[]"), 404);
  ExpectError(http_->Request("DELETE", "/v2/images/" + comm, "tokB"), 403);
  ExpectError(http_->Request("DELETE", "/v2/images/" + priv, "tokB"), 404);
}

TEST_F(ImagesV2Test, ListPagesWithMarkerAndNextLinks) {
  std::string tag = "page-" + std::to_string(::getpid());
  for (int i = 0; i < 5; ++i) {
    CreateId(R"({"name": "p)" + std::to_string(i) + R"(", "tags": [")" + tag + R"("]})");
  }
  std::vector<std::string> seen;
  std::string next = "/v2/images?tag=" + tag + "&limit=2";
  int pages = 0;
  while (!next.empty() && pages < 10) {
    HttpResponse r = http_->Get(next, "tokA");
    ASSERT_EQ(r.status, 200) << r.body;
    json::object page = r.Json().as_object();
    EXPECT_EQ(page.at("schema").as_string(), "/v2/schemas/images");
    EXPECT_EQ(page.at("first").as_string().subview().find("marker"), std::string::npos);
    for (const auto& img : page.at("images").as_array()) seen.emplace_back(img.at("name").as_string());
    next = page.contains("next") ? std::string(page.at("next").as_string()) : "";
    ++pages;
  }
  // Newest first; a full last page still links to an empty page (as Glance).
  EXPECT_EQ(seen, (std::vector<std::string>{"p4", "p3", "p2", "p1", "p0"}));
  EXPECT_EQ(pages, 3);
}

TEST_F(ImagesV2Test, ListFiltersAndSorts) {
  std::string t = "flt-" + std::to_string(::getpid());
  std::string base = "?tag=" + t + "&limit=100";
  CreateId(R"({"name": "L-alpha", "tags": [")" + t + R"("], "color": "red", "disk_format": "raw"})");
  CreateId(R"({"name": "L-beta", "tags": [")" + t + R"(", "x"], "disk_format": "qcow2", "os_hidden": true})");
  CreateId(R"({"name": "L-gamma", "tags": [")" + t + R"("], "color": "blue", "protected": true})");
  EXPECT_EQ(ListNames(base + "&sort=name:asc"), (std::vector<std::string>{"L-alpha", "L-gamma"}));
  EXPECT_EQ(ListNames(base + "&sort_key=name&sort_dir=desc"),
            (std::vector<std::string>{"L-gamma", "L-alpha"}));
  EXPECT_EQ(ListNames(base + "&os_hidden=true"), (std::vector<std::string>{"L-beta"}));
  EXPECT_EQ(ListNames(base + "&color=red"), (std::vector<std::string>{"L-alpha"}));
  EXPECT_EQ(ListNames(base + "&name=in:L-alpha,L-gamma&sort=name:asc"),
            (std::vector<std::string>{"L-alpha", "L-gamma"}));
  EXPECT_EQ(ListNames(base + "&protected=true"), (std::vector<std::string>{"L-gamma"}));
  EXPECT_EQ(ListNames(base + "&disk_format=raw"), (std::vector<std::string>{"L-alpha"}));
  EXPECT_EQ(ListNames(base + "&created_at=gt:2000-01-01T00:00:00Z&sort=name:asc").size(), 2u);
  EXPECT_EQ(ListNames(base + "&created_at=lt:2000-01-01T00:00:00Z").size(), 0u);
  for (const char* bad : {"&limit=-1", "&limit=abc", "&sort=name:up", "&sort=bogus:asc",
                          "&sort_key=bogus", "&sort_dir=sideways", "&sort=name&sort_key=name",
                          "&visibility=bogus", "&member_status=bogus", "&os_hidden=maybe",
                          "&protected=bogus", "&size_min=abc", "&changes-since=2020-01-01",
                          "&created_at=gt:not-a-date", "&marker=00000000-0000-0000-0000-000000000000"}) {
    SCOPED_TRACE(bad);
    ExpectError(http_->Get("/v2/images" + base + bad, "tokA"), 400);
  }
}

TEST_F(ImagesV2Test, PatchBothDialects) {
  std::string id = CreateId(R"({"name": "before", "color": "red"})");
  std::string path = "/v2/images/" + id;
  HttpResponse r = http_->Patch(path, "tokA",
                                R"([{"op": "replace", "path": "/name", "value": "after"},
                                    {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
                                    {"op": "remove", "path": "/color"},
                                    {"op": "replace", "path": "/tags", "value": ["a", "b"]},
                                    {"op": "replace", "path": "/min_ram", "value": 128},
                                    {"op": "add", "path": "/a~1b", "value": "slash"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object img = r.Json().as_object();
  EXPECT_EQ(img.at("name").as_string(), "after");
  EXPECT_EQ(img.at("hw_disk_bus").as_string(), "scsi");
  EXPECT_FALSE(img.contains("color"));
  EXPECT_EQ(img.at("min_ram").as_int64(), 128);
  EXPECT_EQ(img.at("a/b").as_string(), "slash");
  r = http_->Patch(path, "tokA", R"([{"replace": "/name", "value": "v20"}, {"add": "/k", "value": "v"}])",
                   "application/openstack-images-v2.0-json-patch");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("name").as_string(), "v20");
  ExpectError(http_->Patch(path, "tokA", R"([{"add": "/k", "value": "again"}])",
                           "application/openstack-images-v2.0-json-patch"),
              409);
  EXPECT_EQ(http_->Patch(path, "tokA", "[]").status, 200);
}

TEST_F(ImagesV2Test, PatchRefusals) {
  std::string id = CreateId(R"({"name": "patchme"})");
  std::string path = "/v2/images/" + id;
  struct Case {
    const char* body;
    long status;
    const char* needle;
  } cases[] = {
      {R"([{"op": "remove", "path": "/nosuch"}])", 409, "does not exist"},
      {R"([{"op": "replace", "path": "/nosuch", "value": "x"}])", 409, "does not exist"},
      {R"([{"op": "remove", "path": "/name"}])", 403, "may not be removed"},
      {R"([{"op": "replace", "path": "/status", "value": "active"}])", 403, "read-only"},
      {R"([{"op": "replace", "path": "/id", "value": "x"}])", 403, "read-only"},
      {R"([{"op": "replace", "path": "/owner", "value": "projB"}])", 403, "non admin"},
      {R"([{"op": "replace", "path": "/visibility", "value": "public"}])", 403, "publicize"},
      {R"([{"op": "replace", "path": "/min_ram", "value": "lots"}])", 400, "integer"},
      {R"([{"op": "replace", "path": "/min_ram", "value": -5}])", 400, "negative"},
      {R"([{"op": "move", "path": "/name"}])", 400, "Invalid operation"},
      {R"([{"op": "test", "path": "/name", "value": "x"}])", 400, "Invalid operation"},
      {R"([{"op": "replace", "path": "/name"}])", 400, "requires a member named \"value\""},
      {R"([{"op": "replace", "path": "name", "value": "x"}])", 400, "does not start with"},
      {R"([{"op": "replace", "path": "/a/b", "value": "x"}])", 400, "Invalid JSON pointer"},
      {R"([{"op": "add", "path": "/tags/-", "value": "x"}])", 400, "Invalid JSON pointer"},
      {R"([{"op": "add", "path": "/os_glance_x", "value": "x"}])", 403, "reserved"},
      {R"([{"op": "add", "path": "/locations/-", "value": {"url": "http://x", "metadata": {}}}])", 403, "locations"},
      {R"({"op": "replace"})", 400, "JSON array"},
      {R"([{"op": "replace", "path": "/name", "value": "x")", 400, "Malformed JSON"},
      {R"([{"replace": "/name", "value": "x"}])", 400, "\"op\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(http_->Patch(path, "tokA", c.body), c.status, c.needle);
  }
  HttpResponse r = http_->Patch(path, "tokA", "[]", "application/json");
  ExpectError(r, 415, "application/json");
  EXPECT_NE(r.Header("accept-patch").value_or("").find("v2.1-json-patch"), std::string::npos);
  // Nothing above changed the image.
  HttpResponse shown = http_->Get(path, "tokA");
  EXPECT_EQ(shown.Json().at("name").as_string(), "patchme");
  ExpectError(http_->Patch("/v2/images/00000000-0000-0000-0000-000000000000", "tokA", "[]"), 404);
}

TEST_F(ImagesV2Test, FormatsOnlyChangeWhileQueued) {
  std::string id = CreateId(R"({"name": "fmt", "disk_format": "raw", "container_format": "bare"})");
  EXPECT_EQ(http_->Patch("/v2/images/" + id, "tokA",
                         R"([{"op": "replace", "path": "/disk_format", "value": "qcow2"}])")
                .status,
            200);
  ASSERT_EQ(http_->Patch("/v2/images/" + id, "tokA",
                         R"([{"op": "replace", "path": "/disk_format", "value": "raw"}])")
                .status,
            200);
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/file", "tokA", "data").status, 204);
  ExpectError(http_->Patch("/v2/images/" + id, "tokA",
                           R"([{"op": "replace", "path": "/disk_format", "value": "qcow2"}])"),
              403, "queued");
}

TEST_F(ImagesV2Test, TagsAreASet) {
  std::string id = CreateId(R"({"name": "tags"})");
  std::string base = "/v2/images/" + id + "/tags/";
  EXPECT_EQ(http_->Request("PUT", base + "one", "tokA").status, 204);
  EXPECT_EQ(http_->Request("PUT", base + "one", "tokA").status, 204);
  EXPECT_EQ(http_->Request("PUT", base + "with%20space", "tokA").status, 204);
  json::array tags = http_->Get("/v2/images/" + id, "tokA").Json().at("tags").as_array();
  EXPECT_EQ(tags, (json::array{"one", "with space"}));
  EXPECT_EQ(http_->Request("DELETE", base + "one", "tokA").status, 204);
  ExpectError(http_->Request("DELETE", base + "one", "tokA"), 404);
  ExpectError(http_->Request("PUT", base + std::string(256, 't'), "tokA"), 400);
  ExpectError(http_->Request("PUT", "/v2/images/00000000-0000-0000-0000-000000000000/tags/x", "tokA"), 404);
  ExpectError(http_->Get(base + "one", "tokA"), 405);
}

TEST_F(ImagesV2Test, TagQuotaIs413) {
  std::string id = CreateId(R"({"name": "many-tags"})");
  std::string tags = "[";
  for (int i = 0; i < 129; ++i) tags += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  tags += "]";
  ExpectError(http_->Patch("/v2/images/" + id, "tokA",
                           R"([{"op": "replace", "path": "/tags", "value": )" + tags + "}]"),
              413);
}

TEST_F(ImagesV2Test, DeactivateReactivate) {
  std::string id = CreateActiveImage(*http_, "tokA", "act", "0123456789");
  ASSERT_FALSE(id.empty());
  std::string base = "/v2/images/" + id;
  EXPECT_EQ(http_->Request("POST", base + "/actions/deactivate", "tokA").status, 204);
  EXPECT_EQ(http_->Request("POST", base + "/actions/deactivate", "tokA").status, 204);
  EXPECT_EQ(http_->Get(base, "tokA").Json().at("status").as_string(), "deactivated");
  ExpectError(http_->Get(base + "/file", "tokA"), 403, "deactivated");
  EXPECT_EQ(http_->Get(base + "/file", "admin").status, 200);
  ExpectError(http_->Put(base + "/file", "tokA", "more"), 409);
  EXPECT_EQ(http_->Request("POST", base + "/actions/reactivate", "tokA").status, 204);
  EXPECT_EQ(http_->Request("POST", base + "/actions/reactivate", "tokA").status, 204);
  EXPECT_EQ(http_->Get(base + "/file", "tokA").body, "0123456789");
  std::string queued = CreateId("{}");
  ExpectError(http_->Request("POST", "/v2/images/" + queued + "/actions/deactivate", "tokA"), 403,
              "queued");
  ExpectError(http_->Request("POST", "/v2/images/" + queued + "/actions/reactivate", "tokA"), 403);
  ExpectError(http_->Request("POST", base + "/actions/deactivate", "tokA", "{}",
                             {{"Content-Type", "application/json"}}),
              400, "body is not expected");
  ExpectError(http_->Request("POST", base + "/actions/explode", "tokA"), 404);
  ExpectError(http_->Get(base + "/actions/deactivate", "tokA"), 405);
}

TEST_F(ImagesV2Test, DeleteRules) {
  std::string id = CreateId(R"({"name": "del", "protected": true})");
  std::string path = "/v2/images/" + id;
  ExpectError(http_->Request("DELETE", path, "tokA"), 403, "protected");
  ASSERT_EQ(http_->Patch(path, "tokA", R"([{"op": "replace", "path": "/protected", "value": false}])").status, 200);
  HttpResponse r = http_->Request("DELETE", path, "tokA");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  ExpectError(http_->Get(path, "tokA"), 404);
  ExpectError(http_->Request("DELETE", path, "tokA"), 404, "Failed to find image");
  ExpectError(http_->Request("DELETE", "/v2/images/zzz", "tokA"), 404);
  // A deleted id stays taken.
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"id": ")" + id + R"("})"), 409);
  std::string other = CreateId(R"({"name": "admin-deletes"})");
  EXPECT_EQ(http_->Request("DELETE", "/v2/images/" + other, "admin").status, 204);
}

TEST_F(ImagesV2Test, MethodNotAllowedListsTheAllowedOnes) {
  std::string id = CreateId("{}");
  HttpResponse r = http_->Request("PUT", "/v2/images/" + id, "tokA", "x");
  ExpectError(r, 405, "PUT");
  EXPECT_EQ(r.Header("allow").value_or(""), "GET, PATCH, DELETE");
  EXPECT_EQ(http_->Request("HEAD", "/v2/images", "tokA").status, 405);
  EXPECT_EQ(http_->Request("POST", "/v2/schemas/image", "tokA").Header("allow").value_or(""), "GET");
  ExpectError(http_->Get("/v2/nosuch", "tokA"), 404, "could not be found");
  ExpectError(http_->Get("/v2/images/" + id, "tokA", {{"Content-Length", "2"}}), 400);
}

TEST_F(ImagesV2Test, SchemasAndInfo) {
  for (const char* name : {"image", "images", "member", "members", "task", "tasks"}) {
    HttpResponse r = http_->Get(std::string("/v2/schemas/") + name, "tokA");
    ASSERT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.Json().at("name").as_string(), name);
  }
  json::object image = http_->Get("/v2/schemas/image", "tokA").Json().as_object();
  EXPECT_FALSE(image.at("properties").as_object().contains("stores"));  // glanceclient 4.1 breaks on it
  EXPECT_EQ(http_->Get("/v2/schemas/nosuch", "tokA").status, 404);
  HttpResponse imp = http_->Get("/v2/info/import", "tokA");
  EXPECT_EQ(imp.status, 200);
  EXPECT_TRUE(imp.Json().at("import-methods").as_object().contains("value"));
  ExpectError(http_->Get("/v2/info/stores", "tokA"), 404);  // single store, as Glance (spec 1.5.12)
  ExpectError(http_->Get("/v2/info/stores/detail", "tokA"), 403);
  EXPECT_EQ(http_->Get("/v2/info/stores/detail", "admin").status, 200);
  EXPECT_TRUE(http_->Get("/v2/info/usage", "tokA").Json().as_object().contains("usage"));
  EXPECT_EQ(http_->Get("/v2.1/images", "tokA").status, 200);
  EXPECT_EQ(http_->Get("/v2.9/schemas/image", "tokA").status, 200);
}

TEST_F(ImagesV2Test, OversizedJsonBodyIs413AndOversizedHeaderIs431) {
  std::string before = CatalogSnapshot();
  std::string big = R"({"name": ")" + std::string(200 * 1024, 'x') + R"("})";
  ExpectError(http_->PostJson("/v2/images", "tokA", big), 413);
  ExpectError(http_->Get("/v2/images", "tokA", {{"X-Big", std::string(64 * 1024, 'h')}}), 431,
              "header is too large");
  EXPECT_EQ(http_->Get("/v2/images", "tokA").status, 200);  // still serving
  EXPECT_EQ(CatalogSnapshot(), before);
}

// Issue 2's bad-input list, metadata side (the data side is in image_data_test.cc):
// each refusal has its exact status and a JSON error body, and afterwards the catalog
// holds exactly what it held before.
TEST_F(ImagesV2Test, BadInputGetsItsExactStatusAndLeavesTheCatalogIntact) {
  std::string id = CreateId(R"({"name": "keep", "disk_format": "raw", "container_format": )"
                            R"("bare", "tags": ["t"], "k": "v"})");
  CreateId(R"({"name": "other", "visibility": "private"})", "tokB");
  const std::string before = CatalogSnapshot();
  ASSERT_NE(before.find(id), std::string::npos);
  const std::string path = "/v2/images/" + id;
  const std::string rename = R"([{"op": "replace", "path": "/name", "value": "renamed"}])";
  // Malformed JSON.
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"name": "x",)"), 400, "Malformed JSON");
  ExpectError(http_->Patch(path, "tokA", R"([{"op": "replace",)"), 400, "Malformed JSON");
  // Wrong media type.
  ExpectError(http_->Patch(path, "tokA", rename, "application/json"), 415, "application/json");
  ExpectError(http_->Patch(path, "tokA", rename, "text/plain"), 415);
  ExpectError(http_->Put(path + "/file", "tokA", "x", false, -1, "application/json"), 415);
  // Unknown and malformed ids, through every call that takes one.
  const std::vector<std::string> bad_ids = {"00000000-0000-0000-0000-000000000000", "not-a-uuid",
                                            std::string(46, '0'), "%20", id.substr(0, 35) + "z"};
  for (const std::string& bad : bad_ids) {
    SCOPED_TRACE(bad);
    const std::string p = "/v2/images/" + bad;
    ExpectError(http_->Get(p, "tokA"), 404);
    ExpectError(http_->Patch(p, "tokA", rename), 404);
    ExpectError(http_->Request("DELETE", p, "tokA"), 404);
    ExpectError(http_->Get(p + "/file", "tokA"), 404);
    ExpectError(http_->Put(p + "/file", "tokA", "x"), 404);
    ExpectError(http_->Request("PUT", p + "/tags/x", "tokA"), 404);
    ExpectError(http_->Request("POST", p + "/actions/deactivate", "admin"), 404);
  }
  ExpectError(http_->Get("/v2/images?marker=00000000-0000-0000-0000-000000000000", "tokA"), 400);
  // Oversized headers and bodies.
  ExpectError(http_->Get(path, "tokA", {{"X-Big", std::string(64 * 1024, 'h')}}), 431);
  ExpectError(http_->PostJson("/v2/images", "tokA",
                              R"({"name": ")" + std::string(200 * 1024, 'x') + R"("})"),
              413);
  ExpectError(http_->Patch(path, "tokA",
                           R"([{"op": "add", "path": "/big", "value": ")" +
                               std::string(200 * 1024, 'x') + R"("}])"),
              413);
  // Invalid enum values: in a create, a PATCH and the list filters.
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"disk_format": "floppy"})"), 400, "floppy");
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"container_format": "zip"})"), 400, "zip");
  ExpectError(http_->PostJson("/v2/images", "tokA", R"({"visibility": "everyone"})"), 400,
              "everyone");
  ExpectError(http_->Patch(path, "tokA",
                           R"([{"op": "replace", "path": "/disk_format", "value": "floppy"}])"),
              400, "floppy");
  ExpectError(http_->Patch(path, "tokA",
                           R"([{"op": "replace", "path": "/visibility", "value": "everyone"}])"),
              400, "everyone");
  // (An unknown `status` value is not an error in Glance: it matches nothing.)
  for (const char* query :
       {"?visibility=everyone", "?member_status=maybe", "?os_hidden=maybe", "?protected=maybe",
        "?sort_dir=sideways", "?sort_key=nosuch", "?sort=name:sideways"}) {
    SCOPED_TRACE(query);
    ExpectError(http_->Get(std::string("/v2/images") + query, "tokA"), 400);
  }
  EXPECT_EQ(CatalogSnapshot(), before);
}

}  // namespace
}  // namespace imagefs::testing
