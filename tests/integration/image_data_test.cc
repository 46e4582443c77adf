// Image data through the real imaged: uploads (sized, chunked, empty), hashes and
// the block map, downloads with ranges, format inspection, and the refusals.
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/digest.h"
#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_fixture.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class ImageDataTest : public ImagedTest<ImageDataTest> {
 protected:
  std::string NewImage(const std::string& extra = R"("disk_format": "raw", "container_format": "bare")") {
    HttpResponse r = http_->PostJson("/v2/images", "tokA", "{" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.Json().at("id").as_string());
  }
  json::object Show(const std::string& id) {
    return http_->Get("/v2/images/" + id, "tokA").Json().as_object();
  }

  // Expects `status` and a JSON error body {"error": {"code", "message", ...}}.
  static void ExpectError(const HttpResponse& r, long status, const std::string& needle = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("content-type").value_or(""), "application/json") << r.body;
    json::value v = r.Json();
    ASSERT_TRUE(v.is_object()) << r.body;
    const json::object& error = v.as_object().at("error").as_object();
    EXPECT_NE(std::string(error.at("message").as_string()).find(needle), std::string::npos)
        << r.body;
    EXPECT_EQ(error.at("code").as_string().subview().substr(0, 3), std::to_string(status));
  }
  // Every image as the admin lists it, in id order, without `updated_at` (a refused
  // upload legitimately touches it on its way back to queued).
  std::string CatalogSnapshot() {
    std::map<std::string, std::string> by_id;
    std::string path = "/v2/images?limit=1000";
    while (!path.empty()) {
      HttpResponse r = http_->Get(path, "admin");
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return "";
      json::object page = r.Json().as_object();
      for (const json::value& v : page.at("images").as_array()) {
        json::object image = v.as_object();
        image.erase("updated_at");
        by_id[std::string(image.at("id").as_string())] = json::serialize(image);
      }
      path = page.contains("next") ? std::string(page.at("next").as_string()) : "";
    }
    std::string all;
    for (const auto& [id, image] : by_id) all += image + "\n";
    return all;
  }
  // Every file of the local store (committed data and uploads in progress).
  static std::vector<std::string> StoreFiles() {
    const std::filesystem::path store = std::filesystem::path(imaged_->data_dir()) / "images";
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(store)) {
      if (!entry.is_directory()) {
        files.push_back(std::filesystem::relative(entry.path(), store).string());
      }
    }
    std::sort(files.begin(), files.end());
    return files;
  }
};

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

// Issue 2's bad-input list, data side (the metadata side is in images_v2_test.cc): each
// refusal has its exact status and a JSON error body; afterwards the catalog lists the
// same images, the active image serves its bytes, and no store file was added.
TEST_F(ImageDataTest, BadDataInputGetsItsExactStatusAndLeavesTheCatalogIntact) {
  const std::string data = RandomBytes(1000, 11);
  const std::string active = NewImage();
  ASSERT_EQ(http_->Put("/v2/images/" + active + "/file", "tokA", data).status, 204);
  const std::string qcow2 = NewImage(R"("disk_format": "qcow2", "container_format": "bare")");
  const std::string raw = NewImage();
  const std::string before = CatalogSnapshot();
  const std::vector<std::string> files_before = StoreFiles();
  ASSERT_NE(before.find(active), std::string::npos);
  ASSERT_NE(before.find(raw), std::string::npos);
  ASSERT_EQ(files_before.size(), 1u);  // the active image's bytes
  const std::string active_file = "/v2/images/" + active + "/file";
  // A second upload to an active image.
  ExpectError(http_->Put(active_file, "tokA", "other"), 409, "from active to saving");
  ExpectError(http_->Put(active_file, "tokA", "other", /*chunked=*/true), 409);
  // Data that does not match its disk_format.
  ExpectError(http_->Put("/v2/images/" + qcow2 + "/file", "tokA", RandomBytes(4096, 3)), 415);
  // Wrong media type and a declared size that the body does not have.
  ExpectError(http_->Put("/v2/images/" + raw + "/file", "tokA", "x", false, -1, "text/plain"), 415);
  ExpectError(http_->Put("/v2/images/" + raw + "/file", "tokA", "xyz", false, -1,
                         "application/octet-stream", {{"x-openstack-image-size", "5"}}),
              400);
  // A Range beyond the end (and at the end: the first byte does not exist).
  for (const char* range : {"bytes=2000-3000", "bytes=1000-", "bytes=1000-1000"}) {
    SCOPED_TRACE(range);
    HttpResponse r = http_->Get(active_file, "tokA", {{"Range", range}});
    ExpectError(r, 416);
    EXPECT_EQ(r.Header("content-range").value_or(""), "bytes */1000");
  }
  // A client that disconnects mid-upload: the image goes back to queued.
  HttpResponse cut =
      http_->Put("/v2/images/" + raw + "/file", "tokA", RandomBytes(8 << 20, 12), false, 3 << 20);
  EXPECT_EQ(cut.status, 0);
  std::string after;
  std::vector<std::string> files_after;
  for (int i = 0; i < 250; ++i) {  // the server notices the disconnect asynchronously
    after = CatalogSnapshot();
    files_after = StoreFiles();
    if (after == before && files_after == files_before) break;
    usleep(20000);
  }
  EXPECT_EQ(after, before);
  EXPECT_EQ(files_after, files_before);
  EXPECT_EQ(http_->Get(active_file, "tokA").body, data);
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
