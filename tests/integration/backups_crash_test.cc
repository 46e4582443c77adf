// SIGKILL of imaged during a backup or a delete, then a restart on the same
// directories: no backup is available with missing blocks, every available
// backup restores byte for byte, and once the startup sweep has run the store
// holds exactly the blocks of the backups that remain.
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
using Clock = std::chrono::steady_clock;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : ""; }

std::set<std::string> HexDigests(const std::vector<std::string>& datas) {
  std::set<std::string> out;
  for (const auto& d : datas) {
    for (size_t at = 0; at < d.size(); at += kMiB) {
      out.insert(ToHex(Sha256Raw(d.data() + at, std::min(kMiB, d.size() - at))));
    }
  }
  return out;
}

std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.insert(e.path().filename().string());
  }
  return out;
}

class BackupsCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.File("data");
    options_.extra_args = {"--backup-dir", dir_.File("store")};  // fsync stays on
    imaged_ = std::make_unique<ImagedProcess>(options_);
    ASSERT_TRUE(imaged_->Start()) << imaged_->log();
  }

  void Restart() {
    imaged_->Kill();
    ASSERT_TRUE(imaged_->Start()) << imaged_->log();
  }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "") {
    HttpClient http(imaged_->url());
    HttpClient::Headers h = {{"OpenStack-API-Version", "volume 3.64"}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return http.Request(method, path, "tokA", body, h);
  }

  std::string StartBackup(const std::string& image) {
    HttpResponse r =
        Call("POST", "/v3/projA/backups", R"({"backup": {"volume_id": ")" + image + "\"}}");
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? Str(r.Json().at("backup").at("id")) : "";
  }

  // The backup's status once it leaves `transient` ("gone" after a 404).
  std::string Settle(const std::string& id, const std::string& transient) {
    auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      HttpResponse r = Call("GET", "/v3/projA/backups/" + id);
      if (r.status == 404) return "gone";
      std::string s = Str(r.Json().at("backup").at("status"));
      if (s != transient) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return transient;
  }

  std::string RestoredBytes(const std::string& id) {
    HttpResponse r = Call("POST", "/v3/projA/backups/" + id + "/restore", R"({"restore": {}})");
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return "";
    std::string image = Str(r.Json().at("restore").at("volume_id"));
    EXPECT_EQ(Settle(id, "restoring"), "available");
    HttpClient http(imaged_->url());
    return http.Get("/v2/images/" + image + "/file", "tokA").body;
  }

  // Waits (bounded) for the startup sweep: the store's blocks become exactly
  // `expected` and nothing is left in staging/.
  void ExpectStoreHoldsExactly(const std::set<std::string>& expected) {
    std::string container = dir_.File("store") + "/backups";
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline &&
           (Files(container + "/blocks") != expected || !Files(container + "/staging").empty())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(Files(container + "/blocks"), expected);
    EXPECT_TRUE(Files(container + "/staging").empty());
  }

  size_t Staged() { return Files(dir_.File("store") + "/backups/staging").size(); }

  TempDir dir_{"backups-crash"};
  ImagedOptions options_;
  std::unique_ptr<ImagedProcess> imaged_;
};

class KillDuringBackupTest : public BackupsCrashTest,
                             public ::testing::WithParamInterface<size_t> {};

TEST_P(KillDuringBackupTest, NoBackupIsAvailableWithMissingBlocks) {
  HttpClient http(imaged_->url());
  std::string stable_data = RandomBytes(2 * kMiB, 1);
  std::string stable = StartBackup(CreateActiveImage(http, "tokA", "stable", stable_data));
  ASSERT_EQ(Settle(stable, "creating"), "available");
  std::string data = RandomBytes(40 * kMiB + 17, 2 + static_cast<uint32_t>(GetParam()));
  std::string victim = StartBackup(CreateActiveImage(http, "tokA", "victim", data));
  // The kill point: once GetParam() blocks are staged (or the backup is done).
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline && Staged() < GetParam() &&
         Str(Call("GET", "/v3/projA/backups/" + victim).Json().at("backup").at("status")) ==
             "creating") {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Restart();
  std::string status = Settle(victim, "creating");
  ASSERT_TRUE(status == "available" || status == "error") << status;
  RecordProperty("victim_status_after_restart", status);
  std::vector<std::string> kept = {stable_data};
  if (status == "available") {
    EXPECT_EQ(RestoredBytes(victim), data);
    kept.push_back(data);
  } else {
    EXPECT_FALSE(
        Call("GET", "/v3/projA/backups/" + victim).Json().at("backup").at("fail_reason").is_null());
  }
  EXPECT_EQ(RestoredBytes(stable), stable_data);
  ExpectStoreHoldsExactly(HexDigests(kept));
  HttpClient restarted(imaged_->url());  // a new port after the restart
  std::string again = StartBackup(CreateActiveImage(restarted, "tokA", "after", data));
  EXPECT_EQ(Settle(again, "creating"), "available");
}

INSTANTIATE_TEST_SUITE_P(KillPoints, KillDuringBackupTest,
                         ::testing::Values(size_t{0}, size_t{1}, size_t{8}, size_t{24},
                                           size_t{100000}));

TEST_F(BackupsCrashTest, KillDuringDeleteFreesExactlyAfterTheRestart) {
  HttpClient http(imaged_->url());
  std::string v1 = RandomBytes(16 * kMiB, 3);
  std::string v2 = v1;
  v2.replace(3 * kMiB, kMiB, RandomBytes(kMiB, 4));
  std::string b1 = StartBackup(CreateActiveImage(http, "tokA", "v1", v1));
  ASSERT_EQ(Settle(b1, "creating"), "available");
  std::string b2 = StartBackup(CreateActiveImage(http, "tokA", "v2", v2));
  ASSERT_EQ(Settle(b2, "creating"), "available");
  ASSERT_EQ(Call("DELETE", "/v3/projA/backups/" + b1).status, 202);
  Restart();
  EXPECT_EQ(Settle(b1, "deleting"), "gone");
  EXPECT_EQ(RestoredBytes(b2), v2);
  ExpectStoreHoldsExactly(HexDigests({v2}));
}

}  // namespace
}  // namespace imagefs::testing
