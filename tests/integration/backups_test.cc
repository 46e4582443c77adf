// The backups API (/v3/{project_id}/backups) of a real imaged over HTTP: every
// call, paging and sorting, microversions, refusals, byte-exact restores, what the
// backup store keeps, and export/import between two imageds sharing a store.
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/digest.h"
#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_process.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr size_t kMiB = 1 << 20;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : ""; }

// Block files under a container of a backup store directory.
size_t BlockFiles(const std::string& store_dir, const std::string& container = "backups") {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e :
       fs::recursive_directory_iterator(store_dir + "/" + container + "/blocks", ec)) {
    if (e.is_regular_file()) ++n;
  }
  return n;
}

class BackupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImagedOptions o;
    o.extra_args = {"--fsync", "false", "--backup-dir", store_.File("store")};
    imaged_ = std::make_unique<ImagedProcess>(o);
    ASSERT_TRUE(imaged_->Start()) << imaged_->log();
    http_ = std::make_unique<HttpClient>(imaged_->url());
  }

  std::string store_dir() const { return store_.File("store"); }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "tokA",
                    const std::string& version = "3.64") {
    HttpClient::Headers h;
    if (!version.empty()) h.emplace_back("OpenStack-API-Version", "volume " + version);
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    if (method == "PUT") return http_->Put(path, token, body, false, -1, "application/json", h);
    return http_->Request(method, path, token, body, h);
  }

  // POST /v3/projA/backups for `image`; returns the new backup's id ("" on failure).
  std::string StartBackup(const std::string& image, const std::string& extra = "") {
    HttpResponse r = Call("POST", "/v3/projA/backups",
                          R"({"backup": {"volume_id": ")" + image + "\"" + extra + "}}");
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? Str(r.Json().at("backup").at("id")) : "";
  }

  json::object Show(const std::string& id, const std::string& token = "tokA",
                    const std::string& project = "projA") {
    HttpResponse r = Call("GET", "/v3/" + project + "/backups/" + id, "", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().at("backup").as_object() : json::object();
  }

  // Polls the backup until its status is not `transient`; returns that status
  // ("gone" once it 404s).
  std::string Settle(const std::string& id, const std::string& transient,
                     const std::string& token = "tokA", const std::string& project = "projA") {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      HttpResponse r = Call("GET", "/v3/" + project + "/backups/" + id, "", token);
      if (r.status == 404) return "gone";
      std::string status = Str(r.Json().at("backup").at("status"));
      if (status != transient) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "backup " << id << " stayed " << transient;
    return transient;
  }

  std::string BackUp(const std::string& image, const std::string& extra = "") {
    std::string id = StartBackup(image, extra);
    EXPECT_EQ(Settle(id, "creating"), "available") << Show(id);
    return id;
  }

  // Restores into a new image (or `target`) and returns the restored bytes.
  std::string Restore(const std::string& backup, const std::string& target = "") {
    std::string body = target.empty() ? R"({"restore": {"name": "restored"}})"
                                      : R"({"restore": {"volume_id": ")" + target + "\"}}";
    HttpResponse r = Call("POST", "/v3/projA/backups/" + backup + "/restore", body);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return "";
    std::string image = Str(r.Json().at("restore").at("volume_id"));
    EXPECT_EQ(Settle(backup, "restoring"), "available");
    EXPECT_EQ(Str(http_->Get("/v2/images/" + image, "tokA").Json().at("status")), "active");
    return http_->Get("/v2/images/" + image + "/file", "tokA").body;
  }

  TempDir store_{"backups-it-store"};
  std::unique_ptr<ImagedProcess> imaged_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(BackupsTest, CreateShowListAndDetailDescribeTheBackup) {
  std::string data = RandomBytes(3 * kMiB + 5, 1);
  std::string image = CreateActiveImage(*http_, "tokA", "src", data);
  HttpResponse created =
      Call("POST", "/v3/projA/backups",
           R"({"backup": {"volume_id": ")" + image + R"(", "name": "nightly"}})");
  ASSERT_EQ(created.status, 202) << created.body;
  json::object summary = created.Json().at("backup").as_object();
  EXPECT_EQ(summary.size(), 3u);  // id, name, links
  std::string id = Str(summary.at("id"));
  EXPECT_EQ(Settle(id, "creating"), "available");
  json::object b = Show(id);
  EXPECT_EQ(Str(b.at("name")), "nightly");
  EXPECT_EQ(Str(b.at("volume_id")), image);
  EXPECT_EQ(b.at("size").as_int64(), 1);
  EXPECT_EQ(b.at("imagefs:size_bytes").as_int64(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(b.at("object_count").as_int64(), 4);
  EXPECT_EQ(Str(b.at("container")), "backups");
  EXPECT_FALSE(b.at("is_incremental").as_bool());
  EXPECT_FALSE(b.at("has_dependent_backups").as_bool());
  EXPECT_TRUE(b.at("fail_reason").is_null());
  EXPECT_EQ(Str(b.at("data_timestamp")), Str(b.at("created_at")));
  EXPECT_TRUE(b.at("metadata").as_object().empty());
  EXPECT_EQ(Str(b.at("links").as_array()[0].at("href")),
            imaged_->url() + "/v3/projA/backups/" + id);
  EXPECT_EQ(Str(b.at("links").as_array()[1].at("href")), imaged_->url() + "/projA/backups/" + id);
  EXPECT_EQ(Str(Call("GET", "/v3/projA/backups").Json().at("backups").at(0).at("id")), id);
  json::value detail = Call("GET", "/v3/projA/backups/detail").Json().at("backups").at(0);
  EXPECT_EQ(Str(detail.at("status")), "available");
}

TEST_F(BackupsTest, MicroversionsAreNegotiatedAndEchoed) {
  HttpResponse plain = Call("GET", "/v3/projA/backups", "", "tokA", "");
  EXPECT_EQ(plain.Header("openstack-api-version").value_or(""), "volume 3.0");
  EXPECT_EQ(plain.Header("vary").value_or(""), "OpenStack-API-Version");
  EXPECT_EQ(Call("GET", "/v3/projA/backups", "", "tokA", "3.43").Header("openstack-api-version"),
            "volume 3.43");
  EXPECT_EQ(Call("GET", "/v3/projA/backups", "", "tokA", "latest").Header("openstack-api-version"),
            "volume 3.64");
  EXPECT_EQ(Call("GET", "/v3/projA/backups", "", "tokA", "3.65").status, 406);
  EXPECT_EQ(Call("GET", "/v3/projA/backups", "", "tokA", "4.0").status, 406);
  EXPECT_EQ(Call("GET", "/v3/projA/backups", "", "tokA", "3.x").status, 400);
  HttpResponse legacy =
      http_->Get("/v3/projA/backups", "tokA", {{"X-OpenStack-Volume-API-Version", "3.45"}});
  EXPECT_EQ(legacy.Header("openstack-api-version").value_or(""), "volume 3.45");
  json::object v3 = http_->Get("/v3/", "").Json().at("versions").at(0).as_object();
  EXPECT_EQ(Str(v3.at("version")), "3.64");
  EXPECT_EQ(Str(v3.at("min_version")), "3.0");
}

TEST_F(BackupsTest, UpdateNeeds39AndMetadataNeeds343) {
  std::string id = BackUp(CreateActiveImage(*http_, "tokA", "src", "x"));
  std::string path = "/v3/projA/backups/" + id;
  EXPECT_EQ(Call("PUT", path, R"({"backup": {"name": "n"}})", "tokA", "3.8").status, 404);
  EXPECT_EQ(Call("PUT", path, R"({"backup": {"name": "n"}})", "tokA", "3.9").status, 200);
  EXPECT_EQ(Call("PUT", path, R"({"backup": {"metadata": {"k": "v"}}})", "tokA", "3.42").status,
            400);
  HttpResponse u = Call("PUT", path, R"({"backup": {"description": "d", "metadata": {"k": "v"}}})");
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(Str(u.Json().at("backup").at("name")), "n");
  json::object b = Show(id);
  EXPECT_EQ(Str(b.at("description")), "d");
  EXPECT_EQ(Str(b.at("metadata").at("k")), "v");
  EXPECT_FALSE(
      Call("GET", path, "", "tokA", "3.42").Json().at("backup").as_object().contains("metadata"));
}

TEST_F(BackupsTest, ListsPageSortFilterAndCount) {
  std::string image = CreateActiveImage(*http_, "tokA", "src", "abc");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(BackUp(image, R"(, "name": "b)" + std::to_string(i) + "\""));
  std::vector<std::string> seen;
  std::string next = "/v3/projA/backups?limit=2";
  while (!next.empty()) {
    json::object page = Call("GET", next).Json().as_object();
    for (const auto& b : page.at("backups").as_array()) seen.push_back(Str(b.at("id")));
    next = page.contains("backups_links")
               ? Str(page.at("backups_links").at(0).at("href")).substr(imaged_->url().size())
               : "";
  }
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));  // newest first
  json::object sorted =
      Call("GET", "/v3/projA/backups?sort=name:asc&limit=1&offset=1", "", "tokA", "3.37")
          .Json()
          .as_object();
  EXPECT_EQ(Str(sorted.at("backups").at(0).at("name")), "b1");
  EXPECT_EQ(Call("GET", "/v3/projA/backups?sort=name", "", "tokA", "3.36").status, 400);
  json::object counted =
      Call("GET", "/v3/projA/backups?with_count=true&limit=1").Json().as_object();
  EXPECT_EQ(counted.at("count").as_int64(), 5);
  EXPECT_EQ(Call("GET", "/v3/projA/backups?name=b3").Json().at("backups").as_array().size(), 1u);
  EXPECT_EQ(
      Call("GET", "/v3/projA/backups?volume_id=" + image).Json().at("backups").as_array().size(),
      5u);
  EXPECT_EQ(Call("GET", "/v3/projA/backups?status=error").Json().at("backups").as_array().size(),
            0u);
  EXPECT_EQ(Call("GET", "/v3/projA/backups?container=x").status, 400);
  EXPECT_EQ(Call("GET", "/v3/projA/backups?marker=" + image).status, 404);
  EXPECT_EQ(Call("GET", "/v3/projA/backups?limit=-1").status, 400);
}

TEST_F(BackupsTest, IncrementalBackupsProtectTheirParent) {
  std::string image = CreateActiveImage(*http_, "tokA", "src", RandomBytes(kMiB, 2));
  std::string full = BackUp(image);
  std::string incr = BackUp(image, R"(, "incremental": true)");
  EXPECT_TRUE(Show(incr).at("is_incremental").as_bool());
  EXPECT_TRUE(Show(full).at("has_dependent_backups").as_bool());
  HttpResponse refused = Call("DELETE", "/v3/projA/backups/" + full);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Str(refused.Json().at("badRequest").at("message")),
            "Incremental backups exist for this backup.");
  EXPECT_EQ(Call("DELETE", "/v3/projA/backups/" + incr).status, 202);
  EXPECT_EQ(Settle(incr, "deleting"), "gone");
  EXPECT_FALSE(Show(full).at("has_dependent_backups").as_bool());
  EXPECT_EQ(Call("DELETE", "/v3/projA/backups/" + full).status, 202);
  EXPECT_EQ(Settle(full, "deleting"), "gone");
  std::string other = CreateActiveImage(*http_, "tokA", "other", "y");
  EXPECT_EQ(Call("POST", "/v3/projA/backups",
                 R"({"backup": {"volume_id": ")" + other + R"(", "incremental": true}})")
                .status,
            400);
}

TEST_F(BackupsTest, RestoresGiveBackTheExactBytes) {
  std::string data = RandomBytes(4 * kMiB + 3, 3);
  std::string image = CreateActiveImage(*http_, "tokA", "src", data);
  std::string full = BackUp(image);
  EXPECT_EQ(Restore(full), data);
  std::string incr = BackUp(image, R"(, "incremental": true)");
  HttpResponse empty = http_->PostJson("/v2/images", "tokA", R"({"name": "target"})");
  std::string target = Str(empty.Json().at("id"));
  EXPECT_EQ(Restore(incr, target), data);
  HttpResponse refused = Call("POST", "/v3/projA/backups/" + full + "/restore",
                              R"({"restore": {"volume_id": ")" + image + "\"}}");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Call("POST", "/v3/projA/backups/" + full + "/restore", R"({"restore": null})").status,
            202);
  EXPECT_EQ(Settle(full, "restoring"), "available");
}

TEST_F(BackupsTest, OtherProjectsNeitherSeeNorTouchTheBackup) {
  std::string id = BackUp(CreateActiveImage(*http_, "tokA", "src", "x"));
  EXPECT_EQ(Call("GET", "/v3/projB/backups/" + id, "", "tokB").status, 404);
  EXPECT_EQ(Call("DELETE", "/v3/projB/backups/" + id, "", "tokB").status, 404);
  EXPECT_EQ(
      Call("POST", "/v3/projB/backups/" + id + "/restore", R"({"restore": {}})", "tokB").status,
      404);
  EXPECT_TRUE(Call("GET", "/v3/projB/backups", "", "tokB").Json().at("backups").as_array().empty());
  HttpResponse wrong_url = Call("GET", "/v3/projA/backups/" + id, "", "tokB");
  EXPECT_EQ(wrong_url.status, 400);
  EXPECT_EQ(Str(wrong_url.Json().at("badRequest").at("message")), "Malformed request url");
  EXPECT_EQ(Call("DELETE", "/v3/projA/backups/" + id, "", "tokR").status, 403);  // reader role
  EXPECT_EQ(Call("GET", "/v3/projA/backups/" + id, "", "").status, 401);
  EXPECT_EQ(Call("GET", "/v3/admin/backups/" + id, "", "admin").status, 200);
}

TEST_F(BackupsTest, CreateRefusesWhatCannotBeBackedUp) {
  EXPECT_EQ(Call("POST", "/v3/projA/backups",
                 R"({"backup": {"volume_id": "00000000-0000-0000-0000-000000000001"}})")
                .status,
            404);
  std::string queued =
      Str(http_->PostJson("/v2/images", "tokA", R"({"name": "q"})").Json().at("id"));
  EXPECT_EQ(
      Call("POST", "/v3/projA/backups", R"({"backup": {"volume_id": ")" + queued + "\"}}").status,
      400);
  std::string image = CreateActiveImage(*http_, "tokA", "src", "x");
  EXPECT_EQ(Call("POST", "/v3/projA/backups",
                 R"({"backup": {"volume_id": ")" + image + R"(", "container": "../x"}})")
                .status,
            400);
  EXPECT_EQ(Call("POST", "/v3/projA/backups",
                 R"({"backup": {"volume_id": ")" + image + R"(", "bogus": 1}})")
                .status,
            400);
  EXPECT_EQ(
      Call("POST", "/v3/projB/backups", R"({"backup": {"volume_id": ")" + image + "\"}}", "tokB")
          .status,
      404);  // projA's private image is invisible to projB
}

TEST_F(BackupsTest, ASecondImageStoresOnlyItsDifferentBlocksAndDeletesFreeExactly) {
  std::string v1 = RandomBytes(12 * kMiB, 4);
  std::string v2 = v1;
  v2.replace(5 * kMiB, kMiB, RandomBytes(kMiB, 5));
  std::string b1 = BackUp(CreateActiveImage(*http_, "tokA", "v1", v1));
  std::string b2 = BackUp(CreateActiveImage(*http_, "tokA", "v2", v2));
  EXPECT_EQ(Show(b2).at("imagefs:stored_bytes").as_int64(), static_cast<int64_t>(kMiB));
  EXPECT_EQ(BlockFiles(store_dir()), 13u);
  EXPECT_EQ(Call("DELETE", "/v3/projA/backups/" + b1).status, 202);
  EXPECT_EQ(Settle(b1, "deleting"), "gone");
  EXPECT_EQ(BlockFiles(store_dir()), 12u);
  EXPECT_EQ(Restore(b2), v2);
  EXPECT_EQ(Call("DELETE", "/v3/projA/backups/" + b2).status, 202);
  EXPECT_EQ(Settle(b2, "deleting"), "gone");
  EXPECT_EQ(BlockFiles(store_dir()), 0u);
}

TEST_F(BackupsTest, ExportImportIntoASecondImagedSharingTheStoreRestoresTheBytes) {
  std::string data = RandomBytes(3 * kMiB, 6);
  std::string id = BackUp(CreateActiveImage(*http_, "tokA", "src", data));
  EXPECT_EQ(Call("GET", "/v3/projA/backups/" + id + "/export_record").status, 403);
  HttpResponse exported = Call("GET", "/v3/admin/backups/" + id + "/export_record", "", "admin");
  ASSERT_EQ(exported.status, 200) << exported.body;
  json::object record = exported.Json().at("backup-record").as_object();
  EXPECT_EQ(Str(record.at("backup_service")), "imagefs.backup.local");
  std::string body = R"({"backup-record": )" + json::serialize(record) + "}";
  EXPECT_EQ(Call("POST", "/v3/admin/backups/import_record", body, "admin").status, 400);  // exists

  ImagedOptions o;
  o.extra_args = {"--fsync", "false", "--backup-dir", store_dir()};
  ImagedProcess second(o);
  ASSERT_TRUE(second.Start()) << second.log();
  HttpClient http2(second.url());
  HttpClient::Headers h = {{"OpenStack-API-Version", "volume 3.64"},
                           {"Content-Type", "application/json"}};
  EXPECT_EQ(http2.Request("POST", "/v3/projA/backups/import_record", "tokA", body, h).status, 403);
  HttpResponse imported =
      http2.Request("POST", "/v3/admin/backups/import_record", "admin", body, h);
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Str(imported.Json().at("backup").at("id")), id);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = Str(http2.Get("/v3/admin/backups/" + id, "admin").Json().at("backup").at("status"));
    if (status != "creating") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status, "available");
  HttpResponse restore = http2.Request("POST", "/v3/admin/backups/" + id + "/restore", "admin",
                                       R"({"restore": {}})", h);
  ASSERT_EQ(restore.status, 202) << restore.body;
  std::string image = Str(restore.Json().at("restore").at("volume_id"));
  while (std::chrono::steady_clock::now() < deadline &&
         Str(http2.Get("/v2/images/" + image, "admin").Json().at("status")) != "active") {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(http2.Get("/v2/images/" + image + "/file", "admin").body, data);
}

TEST_F(BackupsTest, DataGivesTheBackupsBytesWithRanges) {
  std::string data = RandomBytes(3 * kMiB + 11, 7);
  std::string id = BackUp(CreateActiveImage(*http_, "tokA", "src", data));
  std::string path = "/v3/projA/backups/" + id + "/data";
  HttpResponse whole = Call("GET", path);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, data);
  EXPECT_EQ(whole.Header("accept-ranges").value_or(""), "bytes");
  EXPECT_EQ(whole.Header("content-md5").value_or(""), DigestHex(DigestAlgorithm::kMd5, data));
  HttpClient::Headers range = {{"Range", "bytes=1048570-1048585"}};
  HttpResponse part = http_->Request("GET", path, "tokA", "", range);
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, data.substr(kMiB - 6, 16));  // across a block boundary
  EXPECT_EQ(part.Header("content-range").value_or(""),
            "bytes 1048570-1048585/" + std::to_string(data.size()));
  HttpResponse tail = http_->Request("GET", path, "tokA", "", {{"Range", "bytes=-5"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, data.substr(data.size() - 5));
  HttpResponse past = http_->Request("GET", path, "tokA", "", {{"Range", "bytes=99999999-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.Header("content-range").value_or(""), "bytes */" + std::to_string(data.size()));
  EXPECT_EQ(Call("GET", "/v3/projB/backups/" + id + "/data", "", "tokB").status, 404);
  EXPECT_EQ(Call("GET", "/volume" + path).body, data);
  std::string admin_path = "/v3/admin/backups/" + id;
  ASSERT_EQ(
      Call("POST", admin_path + "/action", R"({"os-reset_status": {"status": "error"}})", "admin")
          .status,
      202);
  EXPECT_EQ(Call("GET", path).status, 400);  // not available
  ASSERT_EQ(Call("DELETE", "/v3/projA/backups/" + id).status, 202);
  EXPECT_EQ(Settle(id, "deleting"), "gone");
  EXPECT_EQ(Call("GET", path).status, 404);
}

TEST_F(BackupsTest, AdminActionsResetStatusAndRefuseForceDelete) {
  std::string id = BackUp(CreateActiveImage(*http_, "tokA", "src", "x"));
  std::string path = "/v3/admin/backups/" + id + "/action";
  EXPECT_EQ(Call("POST", "/v3/projA/backups/" + id + "/action",
                 R"({"os-reset_status": {"status": "error"}})")
                .status,
            403);
  EXPECT_EQ(Call("POST", path, R"({"os-reset_status": {"status": "error"}})", "admin").status, 202);
  EXPECT_EQ(Str(Show(id).at("status")), "error");
  EXPECT_EQ(Call("POST", path, R"({"os-reset_status": {"status": "available"}})", "admin").status,
            202);
  EXPECT_EQ(Call("POST", path, R"({"os-force_delete": {}})", "admin").status, 405);
  EXPECT_EQ(Call("POST", path, R"({"os-unknown": {}})", "admin").status, 400);
}

}  // namespace
}  // namespace imagefs::testing
