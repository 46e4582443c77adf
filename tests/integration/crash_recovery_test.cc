// SIGKILL of imaged at many moments of an upload, then a restart on the same data
// directory: no active image may have missing or partial bytes, the interrupted
// image must be uploadable again, and no orphan or temporary files may remain.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <random>
#include <set>

#include "common/digest.h"
#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_process.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

// A raw client that sends a PUT's header and the first `send_bytes` of its body,
// so the test decides exactly where the upload stands when imaged dies.
class PartialUpload {
 public:
  PartialUpload(int port, const std::string& id, const std::string& data, size_t send_bytes) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    std::string head = "PUT /v2/images/" + id + "/file HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                       "X-Auth-Token: tokA\r\nContent-Type: application/octet-stream\r\n" +
                       "Content-Length: " + std::to_string(data.size()) + "\r\n\r\n";
    SendAll(head.data(), head.size());
    SendAll(data.data(), send_bytes);
  }
  ~PartialUpload() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  void SendAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) return;
      p += k;
      n -= static_cast<size_t>(k);
    }
  }
  int fd_ = -1;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Files below the store directory, relative names.
std::set<std::string> StoreFiles(const std::string& data_dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(data_dir + "/images", ec)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), data_dir + "/images").string());
  }
  return out;
}

class CrashRecoveryTest : public ::testing::TestWithParam<int> {};

// The invariants after a restart; returns the interrupted image's status.
std::string CheckInvariants(ImagedProcess& imaged, const std::string& id, const std::string& data,
                            const std::string& stable_id, const std::string& stable_data) {
  HttpClient http(imaged.url());
  json::object img = http.Get("/v2/images/" + id, "tokA").Json().as_object();
  std::string status(img.at("status").as_string());
  EXPECT_TRUE(status == "queued" || status == "active") << status;
  if (status == "active") {
    EXPECT_EQ(img.at("checksum").as_string(), DigestHex(DigestAlgorithm::kMd5, data));
    EXPECT_EQ(http.Get("/v2/images/" + id + "/file", "tokA").body, data);
  } else {
    EXPECT_TRUE(img.at("size").is_null());
    EXPECT_EQ(http.Get("/v2/images/" + id + "/file", "tokA").status, 204);
  }
  // The image that was active before the crash is untouched.
  EXPECT_EQ(http.Get("/v2/images/" + stable_id + "/file", "tokA").body, stable_data);
  // Exactly the active images have bytes; nothing temporary is left.
  size_t expected = status == "active" ? 2 : 1;
  std::set<std::string> files = StoreFiles(imaged.data_dir());
  EXPECT_EQ(files.size(), expected) << ::testing::PrintToString(files);
  for (const auto& f : files) {
    EXPECT_TRUE(f.find(stable_id) != std::string::npos || f.find(id) != std::string::npos) << f;
  }
  return status;
}

TEST_P(CrashRecoveryTest, SigkillDuringUploadNeverLeavesPartialActiveImages) {
  const int point = GetParam();  // how much of the body was sent before SIGKILL
  TempDir data_dir;
  ImagedOptions opts;
  opts.data_dir = data_dir.File("data");
  ImagedProcess imaged(opts);
  ASSERT_TRUE(imaged.Start()) << imaged.log();
  HttpClient http(imaged.url());
  std::string stable_data = RandomBytes(3 << 20, 1);
  std::string stable = CreateActiveImage(http, "tokA", "stable", stable_data);
  ASSERT_FALSE(stable.empty());
  std::string data = RandomBytes(24 << 20, static_cast<uint32_t>(point) + 2);
  HttpResponse created = http.PostJson(
      "/v2/images", "tokA", R"({"name": "victim", "disk_format": "raw", "container_format": "bare"})");
  std::string id(created.Json().at("id").as_string());

  size_t send = point == 0 ? 0 : point == 1 ? data.size() / 3 : data.size();
  {
    PartialUpload upload(imaged.port(), id, data, send);
    if (point >= 2) usleep(static_cast<useconds_t>((point - 2) * 7000));  // land anywhere in commit
    else usleep(100000);  // let the server read what was sent
    imaged.Kill();
  }
  ASSERT_TRUE(imaged.Start()) << imaged.log();
  std::string status = CheckInvariants(imaged, id, data, stable, stable_data);
  if (status == "queued") {
    HttpClient again(imaged.url());
    ASSERT_EQ(again.Put("/v2/images/" + id + "/file", "tokA", data).status, 204);
    EXPECT_EQ(again.Get("/v2/images/" + id, "tokA").Json().at("status").as_string(), "active");
  }
}

// 0: header only; 1: a third of the body; 2..9: the whole body, then SIGKILL after
// 0, 7, 14, ... 49 ms, so the kill lands in hashing, fsync, rename or the catalog batch.
INSTANTIATE_TEST_SUITE_P(Points, CrashRecoveryTest, ::testing::Range(0, 10));

}  // namespace
}  // namespace imagefs::testing
