#include "fs/http_catalog_client.h"

#include <thread>

#include <gtest/gtest.h>

#include "tests/testing/fs/fake_imaged.h"

namespace imagefs::fs {
namespace {

using fstest::FakeImaged;
using fstest::RequestKind;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

class HttpCatalogClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fstest::FakeImagedOptions o;
    o.token = "tok";
    server_ = std::make_unique<FakeImaged>(o);
    ASSERT_TRUE(server_->Start().ok());
    client_ = MakeClient("tok");
  }
  std::unique_ptr<CatalogClient> MakeClient(const std::string& token) {
    HttpClientOptions h;
    h.base_url = server_->url();
    h.token = token;
    h.connect_timeout = milliseconds(500);
    h.stall_timeout = milliseconds(1000);
    return std::move(*NewHttpCatalogClient(h));
  }
  CallOptions Within(milliseconds d) { return {steady_clock::now() + d, true}; }

  std::unique_ptr<FakeImaged> server_;
  std::unique_ptr<CatalogClient> client_;
};

TEST_F(HttpCatalogClientTest, ListsEveryPage) {
  for (int i = 0; i < 1500; ++i) server_->AddImage("i" + std::to_string(i), "x");
  auto all = client_->ListImages({}, Within(milliseconds(10000)));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->images.size(), 1500u);
  ASSERT_TRUE(all->server_time_us.has_value());
  EXPECT_LT(std::abs(*all->server_time_us - SystemClock::Get().WallMicros()), 5'000'000);
  EXPECT_EQ(server_->Count(RequestKind::kList), 2u);
}

TEST_F(HttpCatalogClientTest, IncrementalListingReturnsRecentChanges) {
  wire::Image old;
  old.id = "00000000-0000-0000-0000-0000000000aa";
  old.name = "old";
  old.updated_at = old.created_at = 1'700'000'000'000'000;
  server_->PutImage(old, "x");
  std::string new_id = server_->AddImage("new", "y");
  auto changed = client_->ListImages({old.updated_at}, Within(milliseconds(5000)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  ASSERT_EQ(changed->images.size(), 1u);
  EXPECT_EQ(changed->images.front().id, new_id);
}

TEST_F(HttpCatalogClientTest, ShowsImagesAndMapsErrors) {
  std::string id = server_->AddImage("one", "abc");
  auto img = client_->GetImage(id, Within(milliseconds(2000)));
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->name, "one");
  EXPECT_EQ(client_->GetImage("00000000-0000-0000-0000-000000000000", Within(milliseconds(2000)))
                .status()
                .code(),
            StatusCode::kNotFound);
  auto anonymous = MakeClient("");
  EXPECT_EQ(anonymous->GetImage(id, Within(milliseconds(2000))).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(HttpCatalogClientTest, ReadsExactRanges) {
  std::string data(3 * 1048576 + 11, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::string id = server_->AddImage("d", data);
  auto r = client_->ReadRange(id, 1048570, 20, Within(milliseconds(2000)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, data.substr(1048570, 20));
  auto all = client_->ReadRange(id, 0, data.size(), Within(milliseconds(2000)));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(*all == data);
  EXPECT_EQ(client_->ReadRange(id, data.size(), 1, Within(milliseconds(2000))).status().code(),
            StatusCode::kOutOfRange);
}

TEST_F(HttpCatalogClientTest, BlockMapsAndTheirAbsence) {
  std::string id = server_->AddImage("d", std::string(1048577, 'z'));
  auto map = client_->GetBlockMap(id, Within(milliseconds(2000)));
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_TRUE(map->has_value());
  EXPECT_EQ((*map)->digests.size(), 2u);
  server_->SetServeBlocks(false);
  map = client_->GetBlockMap(id, Within(milliseconds(2000)));
  ASSERT_TRUE(map.ok());
  EXPECT_FALSE(map->has_value());
}

TEST_F(HttpCatalogClientTest, PatchesAndTheirRefusals) {
  std::string id = server_->AddImage("before", "x");
  auto img = client_->PatchImage(id, R"([{"op":"replace","path":"/name","value":"after"}])",
                                 Within(milliseconds(2000)));
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->name, "after");
  auto code = [&](const std::string& patch) {
    return client_->PatchImage(id, patch, Within(milliseconds(2000))).status().code();
  };
  EXPECT_EQ(code(R"([{"op":"replace","path":"/size","value":1}])"), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(R"([{"op":"remove","path":"/missing"}])"), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(R"([{"op":"replace","path":"/min_ram","value":"x"}])"),
            StatusCode::kInvalidArgument);
}

TEST_F(HttpCatalogClientTest, TransientErrorsAreRetried) {
  std::string id = server_->AddImage("d", "hello");
  server_->FailNextFileRequests(2);
  auto r = client_->ReadRange(id, 0, 5, Within(milliseconds(5000)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "hello");
  EXPECT_GE(GetHttpClientStats(*client_).retries, 2u);
}

TEST_F(HttpCatalogClientTest, RidesOutARestart) {
  std::string id = server_->AddImage("d", "hello");
  ASSERT_TRUE(client_->ReadRange(id, 0, 5, Within(milliseconds(2000))).ok());
  server_->Stop();
  std::thread restart([&] {
    std::this_thread::sleep_for(milliseconds(400));
    ASSERT_TRUE(server_->Start().ok());
  });
  auto r = client_->ReadRange(id, 1, 3, Within(milliseconds(5000)));
  restart.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "ell");
}

TEST_F(HttpCatalogClientTest, GivesUpAtTheDeadline) {
  std::string id = server_->AddImage("d", "hello");
  server_->Stop();
  auto start = steady_clock::now();
  auto r = client_->ReadRange(id, 0, 5, Within(milliseconds(600)));
  auto took = steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_GE(took, milliseconds(500));
}

}  // namespace
}  // namespace imagefs::fs
