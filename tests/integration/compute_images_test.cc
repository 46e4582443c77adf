// The compute API's image proxy (/v2.1/{project_id}/images) against the real imaged:
// Nova's field mapping, filters, paging links, metadata calls, errors and
// microversion gates (spec 3).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_fixture.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;

class ComputeImagesTest : public ImagedTest<ComputeImagesTest> {
 protected:
  std::string Base() const { return "/v2.1/projA/images"; }
  static void ExpectFault(const HttpResponse& r, long status, const std::string& fault) {
    EXPECT_EQ(r.status, status) << r.body;
    json::value v = r.Json();
    ASSERT_TRUE(v.is_object()) << r.body;
    ASSERT_TRUE(v.as_object().contains(fault)) << r.body;
    EXPECT_EQ(v.at(fault).at("code").as_int64(), status);
  }
};

TEST_F(ComputeImagesTest, DetailMapsGlanceFieldsToNovaFields) {
  std::string id = CreateActiveImage(*http_, "tokA", "nova-img", std::string(3000, 'x'),
                                     R"("min_ram": 512, "min_disk": 2, "os_distro": "cirros",
                                        "instance_uuid": "9f0c0a1e-4a0b-4c36-a1c7-0b6c1d2e3f40",
                                        "auto_disk_config": "true")");
  ASSERT_FALSE(id.empty());
  HttpResponse r = http_->Get(Base() + "/" + id, "tokA");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value page = r.Json();
  const json::object& img = page.at("image").as_object();
  EXPECT_EQ(img.at("status").as_string(), "ACTIVE");
  EXPECT_EQ(img.at("progress").as_int64(), 100);
  EXPECT_EQ(img.at("minRam").as_int64(), 512);
  EXPECT_EQ(img.at("minDisk").as_int64(), 2);
  EXPECT_EQ(img.at("OS-EXT-IMG-SIZE:size").as_int64(), 3000);
  EXPECT_EQ(img.at("metadata").at("os_distro").as_string(), "cirros");
  EXPECT_EQ(img.at("server").at("id").as_string(), "9f0c0a1e-4a0b-4c36-a1c7-0b6c1d2e3f40");
  EXPECT_EQ(img.at("OS-DCF:diskConfig").as_string(), "AUTO");
  EXPECT_EQ(img.at("links").as_array().size(), 3u);
  EXPECT_FALSE(img.contains("visibility"));
  EXPECT_FALSE(img.contains("checksum"));
}

TEST_F(ComputeImagesTest, QueuedIsSavingAndListsFilterLikeNova) {
  HttpResponse c = http_->PostJson("/v2/images", "tokA", R"({"name": "nova-queued", "min_ram": 64})");
  ASSERT_EQ(c.status, 201);
  std::string id(c.Json().at("id").as_string());
  json::value shown = http_->Get(Base() + "/" + id, "tokA").Json();
  EXPECT_EQ(shown.at("image").at("status").as_string(), "SAVING");
  EXPECT_EQ(shown.at("image").at("progress").as_int64(), 25);
  json::value byname = http_->Get(Base() + "?name=nova-queued", "tokA").Json();
  ASSERT_EQ(byname.at("images").as_array().size(), 1u);
  EXPECT_EQ(byname.at("images").as_array()[0].as_object().size(), 3u);  // id, name, links
  // minRam is an exact match, as Glance v2 applies it.
  EXPECT_EQ(http_->Get(Base() + "/detail?name=nova-queued&minRam=64", "tokA").Json().at("images").as_array().size(), 1u);
  EXPECT_EQ(http_->Get(Base() + "/detail?name=nova-queued&minRam=32", "tokA").Json().at("images").as_array().size(), 0u);
  // status is only lower-cased: SAVING does not find a queued image.
  EXPECT_EQ(http_->Get(Base() + "/detail?name=nova-queued&status=SAVING", "tokA").Json().at("images").as_array().size(), 0u);
  EXPECT_EQ(http_->Get(Base() + "/detail?name=nova-queued&status=QUEUED", "tokA").Json().at("images").as_array().size(), 1u);
}

TEST_F(ComputeImagesTest, FullPagesLinkToTheNextPage) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(http_->PostJson("/v2/images", "tokA", R"({"name": "nova-page", "image_type": "snapshot"})").status, 201);
  }
  HttpResponse r = http_->Get(Base() + "?type=snapshot&limit=2", "tokA");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value page = r.Json();
  EXPECT_EQ(page.at("images").as_array().size(), 2u);
  std::string next(page.at("images_links").as_array()[0].at("href").as_string());
  EXPECT_NE(next.find("/v2.1/projA/images?"), std::string::npos) << next;
  EXPECT_NE(next.find("marker="), std::string::npos) << next;
  json::value second = http_->Get(next.substr(next.find("/v2.1")), "tokA").Json();
  EXPECT_EQ(second.at("images").as_array().size(), 1u);
  EXPECT_FALSE(second.as_object().contains("images_links"));
  ExpectFault(http_->Get(Base() + "?limit=0", "tokA"), 400, "badRequest");
  ExpectFault(http_->Get(Base() + "?marker=00000000-0000-0000-0000-000000000000", "tokA"), 400, "badRequest");
}

TEST_F(ComputeImagesTest, MetadataCalls) {
  HttpResponse c = http_->PostJson("/v2/images", "tokA", R"({"name": "nova-meta", "a": "1", "b": "2"})");
  std::string id(c.Json().at("id").as_string());
  std::string meta = Base() + "/" + id + "/metadata";
  EXPECT_EQ(http_->Get(meta, "tokA").Json().at("metadata").as_object().size(), 2u);
  HttpResponse merged = http_->Request("POST", meta, "tokA", R"({"metadata": {"c": "3"}})",
                                       {{"Content-Type", "application/json"}});
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.Json().at("metadata").as_object().size(), 3u);
  HttpResponse replaced = http_->Request("PUT", meta, "tokA", R"({"metadata": {"only": "x"}})",
                                         {{"Content-Type", "application/json"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(http_->Get(meta, "tokA").Json().at("metadata").as_object().size(), 1u);
  EXPECT_EQ(http_->Get(meta + "/only", "tokA").Json().at("meta").at("only").as_string(), "x");
  EXPECT_EQ(http_->Request("PUT", meta + "/k", "tokA", R"({"meta": {"k": "v"}})",
                           {{"Content-Type", "application/json"}}).status, 200);
  ExpectFault(http_->Request("PUT", meta + "/k", "tokA", R"({"meta": {"other": "v"}})",
                             {{"Content-Type", "application/json"}}), 400, "badRequest");
  ExpectFault(http_->Request("POST", meta, "tokA", R"({"metadata": {"bad/key": "v"}})",
                             {{"Content-Type", "application/json"}}), 400, "badRequest");
  EXPECT_EQ(http_->Request("DELETE", meta + "/k", "tokA").status, 204);
  ExpectFault(http_->Request("DELETE", meta + "/k", "tokA"), 404, "itemNotFound");
  ExpectFault(http_->Get(meta + "/nosuch", "tokA"), 404, "itemNotFound");
  std::string many = R"({"metadata": {)";
  for (int i = 0; i < 130; ++i) many += (i ? ", \"k" : "\"k") + std::to_string(i) + "\": \"v\"";
  many += "}}";
  ExpectFault(http_->Request("POST", meta, "tokA", many, {{"Content-Type", "application/json"}}),
              403, "forbidden");
}

TEST_F(ComputeImagesTest, RefusalsUseNovaFaults) {
  ExpectFault(http_->Get(Base() + "/00000000-0000-0000-0000-000000000000", "tokA"), 404, "itemNotFound");
  ExpectFault(http_->Get("/v2.1/projB/images", "tokA"), 400, "badRequest");  // not the caller's project
  ExpectFault(http_->Get(Base(), "tokA", {{"X-OpenStack-Nova-API-Version", "2.36"}}), 404, "itemNotFound");
  EXPECT_EQ(http_->Get(Base(), "tokA", {{"OpenStack-API-Version", "compute 2.35"}}).status, 200);
  ExpectFault(http_->Get(Base(), ""), 401, "unauthorized");
  HttpResponse c = http_->PostJson("/v2/images", "tokA", R"({"name": "nova-del", "protected": true})");
  std::string id(c.Json().at("id").as_string());
  ExpectFault(http_->Request("DELETE", Base() + "/" + id, "tokA"), 403, "forbidden");
  ExpectFault(http_->Request("DELETE", "/v2.1/projB/images/" + id, "tokB"), 404, "itemNotFound");
  ASSERT_EQ(http_->Patch("/v2/images/" + id, "tokA",
                         R"([{"op": "replace", "path": "/protected", "value": false}])").status, 200);
  EXPECT_EQ(http_->Request("DELETE", Base() + "/" + id, "tokA").status, 204);
  ExpectFault(http_->Get(Base() + "/" + id, "tokA"), 404, "itemNotFound");
}

}  // namespace
}  // namespace imagefs::testing
