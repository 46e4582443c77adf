// Image data through the real imaged: uploads (sized, chunked, empty), hashes and
// the block map, downloads with ranges, format inspection, and the refusals.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <random>

#include "common/digest.h"
#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_process.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class ImageDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    imaged_ = new ImagedProcess();
    ASSERT_TRUE(imaged_->Start()) << imaged_->log();
  }
  static void TearDownTestSuite() {
    delete imaged_;
    imaged_ = nullptr;
  }
  void SetUp() override { http_ = std::make_unique<HttpClient>(imaged_->url()); }

  std::string NewImage(const std::string& extra = R"("disk_format": "raw", "container_format": "bare")") {
    HttpResponse r = http_->PostJson("/v2/images", "tokA", "{" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.Json().at("id").as_string());
  }
  json::object Show(const std::string& id) {
    return http_->Get("/v2/images/" + id, "tokA").Json().as_object();
  }

  static ImagedProcess* imaged_;
  std::unique_ptr<HttpClient> http_;
};

ImagedProcess* ImageDataTest::imaged_ = nullptr;

TEST_F(ImageDataTest, UploadComputesHashesSizeAndBlockMap) {
  for (size_t size : {size_t{1}, size_t{1000}, (size_t{1} << 20) - 1, size_t{1} << 20,
                      (size_t{3} << 20) + 7}) {
    SCOPED_TRACE(size);
    std::string data = RandomBytes(size, static_cast<uint32_t>(size));
    std::string id = NewImage();
    HttpResponse up = http_->Put("/v2/images/" + id + "/file", "tokA", data);
    ASSERT_EQ(up.status, 204) << up.body;
    json::object img = Show(id);
    EXPECT_EQ(img.at("status").as_string(), "active");
    EXPECT_EQ(img.at("size").as_int64(), static_cast<int64_t>(size));
    EXPECT_EQ(img.at("virtual_size").as_int64(), static_cast<int64_t>(size));
    EXPECT_EQ(img.at("checksum").as_string(), DigestHex(DigestAlgorithm::kMd5, data));
    EXPECT_EQ(img.at("os_hash_algo").as_string(), "sha512");
    EXPECT_EQ(img.at("os_hash_value").as_string(), DigestHex(DigestAlgorithm::kSha512, data));

    HttpResponse blocks = http_->Get("/v2/images/" + id + "/blocks", "tokA");
    ASSERT_EQ(blocks.status, 200) << blocks.body;
    json::object map = blocks.Json().as_object();
    EXPECT_EQ(map.at("block_size").as_int64(), 1 << 20);
    EXPECT_EQ(map.at("content_key").as_string(), img.at("os_hash_value").as_string());
    json::array digests = map.at("digests").as_array();
    ASSERT_EQ(digests.size(), (size + (1 << 20) - 1) >> 20);
    for (size_t i = 0; i < digests.size(); ++i) {
      std::string block = data.substr(i << 20, size_t{1} << 20);
      EXPECT_EQ(digests[i].as_string(), DigestHex(DigestAlgorithm::kSha256, block)) << i;
    }
  }
}

TEST_F(ImageDataTest, DownloadWholeAndRanges) {
  std::string data = RandomBytes(1000, 7);
  std::string id = NewImage();
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/file", "tokA", data).status, 204);
  std::string file = "/v2/images/" + id + "/file";
  HttpResponse all = http_->Get(file, "tokA");
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.body, data);
  EXPECT_EQ(all.Header("content-md5").value_or(""), DigestHex(DigestAlgorithm::kMd5, data));
  EXPECT_EQ(all.Header("content-type").value_or(""), "application/octet-stream");
  EXPECT_EQ(all.Header("accept-ranges").value_or(""), "bytes");
  struct Case {
    const char* range;
    size_t first, last;
  } cases[] = {{"bytes=10-19", 10, 19}, {"bytes=990-", 990, 999}, {"bytes=-5", 995, 999},
               {"bytes=995-2000", 995, 999}, {"bytes=0-0", 0, 0}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.range);
    HttpResponse r = http_->Get(file, "tokA", {{"Range", c.range}});
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, data.substr(c.first, c.last - c.first + 1));
    EXPECT_EQ(r.Header("content-range").value_or(""),
              "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/1000");
  }
  HttpResponse legacy = http_->Get(file, "tokA", {{"Content-Range", "bytes 0-9/*"}});
  EXPECT_EQ(legacy.status, 206);
  EXPECT_EQ(legacy.body, data.substr(0, 10));
  HttpResponse past = http_->Get(file, "tokA", {{"Range", "bytes=2000-3000"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.Header("content-range").value_or(""), "bytes */1000");
  EXPECT_EQ(http_->Get(file, "tokA", {{"Range", "bytes=0-1,5-6"}}).status, 400);
  EXPECT_EQ(http_->Get(file, "tokA", {{"Range", "items=0-5"}}).status, 416);
}

TEST_F(ImageDataTest, ChunkedAndEmptyUploads) {
  std::string data = RandomBytes((2 << 20) + 123, 9);
  std::string id = NewImage();
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/file", "tokA", data, /*chunked=*/true).status, 204);
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/file", "tokA").body, data);
  std::string empty = NewImage();
  ASSERT_EQ(http_->Put("/v2/images/" + empty + "/file", "tokA", "").status, 204);
  json::object img = Show(empty);
  EXPECT_EQ(img.at("status").as_string(), "active");
  EXPECT_EQ(img.at("size").as_int64(), 0);
  EXPECT_TRUE(img.at("virtual_size").is_null());
  HttpResponse got = http_->Get("/v2/images/" + empty + "/file", "tokA");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "");
  EXPECT_EQ(http_->Get("/v2/images/" + empty + "/blocks", "tokA").Json().at("digests").as_array().size(), 0u);
}

TEST_F(ImageDataTest, QueuedImageHasNoData) {
  std::string id = NewImage();
  HttpResponse r = http_->Get("/v2/images/" + id + "/file", "tokA");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/blocks", "tokA").status, 404);
}

TEST_F(ImageDataTest, UploadRefusals) {
  std::string id = NewImage();
  std::string file = "/v2/images/" + id + "/file";
  EXPECT_EQ(http_->Put(file, "tokA", "x", false, -1, "application/json").status, 415);
  EXPECT_EQ(http_->Put(file, "tokA", "x", false, -1, "octet/stream").status, 415);
  EXPECT_EQ(http_->Put(file, "tokA", "x", false, -1, "application/octet-stream",
                       {{"x-openstack-image-size", "abc"}}).status, 400);
  EXPECT_EQ(http_->Put(file, "tokA", "xyz", false, -1, "application/octet-stream",
                       {{"x-openstack-image-size", "5"}}).status, 400);
  EXPECT_EQ(Show(id).at("status").as_string(), "queued");
  EXPECT_EQ(http_->Put(file, "tokA", "x", false, -1, "application/octet-stream",
                       {{"X-Image-Meta-Store", "nosuch"}}).status, 400);
  EXPECT_EQ(http_->Put(file, "tokB", "x").status, 404);  // invisible to projB
  EXPECT_EQ(http_->Put("/v2/images/00000000-0000-0000-0000-000000000000/file", "tokA", "x").status, 404);
  std::string noformat = NewImage("");
  HttpResponse r = http_->Put("/v2/images/" + noformat + "/file", "tokA", "x");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("must be set prior to saving data"), std::string::npos) << r.body;
  EXPECT_EQ(Show(noformat).at("status").as_string(), "queued");
  ASSERT_EQ(http_->Put(file, "tokA", "data").status, 204);
  HttpResponse again = http_->Put(file, "tokA", "other");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("from active to saving"), std::string::npos) << again.body;
  EXPECT_EQ(http_->Get(file, "tokA").body, "data");
}

TEST_F(ImageDataTest, DataThatDoesNotMatchDiskFormatIs415AndImageStaysQueued) {
  std::string id = NewImage(R"("disk_format": "qcow2", "container_format": "bare")");
  HttpResponse r = http_->Put("/v2/images/" + id + "/file", "tokA", RandomBytes(4096, 3));
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(Show(id).at("status").as_string(), "queued");
  EXPECT_TRUE(Show(id).at("size").is_null());
}

TEST_F(ImageDataTest, RealQcow2GetsItsVirtualSize) {
  if (std::system("command -v qemu-img >/dev/null") != 0) GTEST_SKIP() << "no qemu-img";
  TempDir dir;
  std::string img = dir.File("disk.qcow2");
  ASSERT_EQ(std::system(("qemu-img create -q -f qcow2 " + img + " 3G").c_str()), 0);
  std::string data = ReadFile(img);
  std::string id = NewImage(R"("disk_format": "qcow2", "container_format": "bare")");
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/file", "tokA", data).status, 204);
  json::object shown = Show(id);
  EXPECT_EQ(shown.at("virtual_size").as_int64(), int64_t{3} << 30);
  EXPECT_EQ(shown.at("size").as_int64(), static_cast<int64_t>(data.size()));
  // A qcow2 with a backing file is refused (Glance's safety check).
  std::string child = dir.File("child.qcow2");
  ASSERT_EQ(std::system(("qemu-img create -q -f qcow2 -b " + img + " -F qcow2 " + child).c_str()), 0);
  std::string unsafe = NewImage(R"("disk_format": "qcow2", "container_format": "bare")");
  EXPECT_EQ(http_->Put("/v2/images/" + unsafe + "/file", "tokA", ReadFile(child)).status, 415);
}

TEST_F(ImageDataTest, ClientDisconnectMidUploadLeavesImageQueuedAndUploadable) {
  std::string data = RandomBytes(8 << 20, 5);
  std::string id = NewImage();
  HttpResponse cut = http_->Put("/v2/images/" + id + "/file", "tokA", data, false, 3 << 20);
  EXPECT_EQ(cut.status, 0);  // the client gave up
  // The server notices the disconnect; poll briefly for the image to be queued again.
  std::string status;
  for (int i = 0; i < 200; ++i) {
    status = std::string(Show(id).at("status").as_string());
    if (status == "queued") break;
    usleep(20000);
  }
  EXPECT_EQ(status, "queued");
  ASSERT_EQ(http_->Put("/v2/images/" + id + "/file", "tokA", data).status, 204);
  EXPECT_EQ(Show(id).at("checksum").as_string(), DigestHex(DigestAlgorithm::kMd5, data));
}

TEST_F(ImageDataTest, DeletedImageDataIsGone) {
  std::string id = CreateActiveImage(*http_, "tokA", "to-delete", "abc");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(http_->Request("DELETE", "/v2/images/" + id, "tokA").status, 204);
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/file", "tokA").status, 404);
}

TEST_F(ImageDataTest, SharedImageBytesStayPrivate) {
  std::string id = CreateActiveImage(*http_, "tokA", "mine", "secret-bytes",
                                     R"("visibility": "private")");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/file", "tokB").status, 404);
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/blocks", "tokB").status, 404);
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/file", "admin").body, "secret-bytes");
}

}  // namespace
}  // namespace imagefs::testing
