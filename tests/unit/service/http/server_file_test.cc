// File bodies: sendfile(2) and the ReadAt fallback, with ranges.
#include <gtest/gtest.h>

#include "tests/unit/service/http/http_test_support.h"

namespace imagefs::service::http::testing {
namespace {

uint64_t QueryU64(const Request& req, std::string_view name, uint64_t fallback) {
  std::optional<std::string_view> v = req.QueryParam(name);
  return v ? std::stoull(std::string(*v)) : fallback;
}

class FileTest : public ServerTest {
 protected:
  static constexpr uint64_t kSize = 5 * 1024 * 1024 + 7;

  void SetUp() override {
    file_ = std::make_unique<TempFile>(kSize, 3);
    router_.Add("GET", "/file", [this](Request& req) -> Result<Response> { return Serve(req); });
    router_.Add("HEAD", "/file", [this](Request& req) -> Result<Response> { return Serve(req); });
    StartServer();
  }

  Response Serve(const Request& req) {
    Response response;
    response.status = 200;
    response.SetHeader("Content-Type", "application/octet-stream");
    // A reader claiming more bytes than the file has (short=1) breaks the promise.
    uint64_t claimed = kSize + QueryU64(req, "short", 0);
    response.file = std::make_shared<FileReader>(file_->fd(), claimed, QueryU64(req, "fd", 1) != 0);
    response.file_offset = QueryU64(req, "offset", 0);
    response.file_length = QueryU64(req, "length", claimed - response.file_offset);
    return response;
  }

  std::unique_ptr<TempFile> file_;
};

TEST_F(FileTest, WholeFileIsSentWithSendfile) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/file"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("Content-Length"), std::to_string(kSize));
  EXPECT_EQ(r->Header("Content-Type"), "application/octet-stream");
  EXPECT_TRUE(r->body == file_->Slice(0, kSize));
}

TEST_F(FileTest, RangesAreSentExactlyAndTheConnectionStaysUsable) {
  RawClient client(port());
  for (auto [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 1}, {1, 10}, {4096, 1 << 20}, {kSize - 3, 3}, {12345, 0}}) {
    for (int fd : {1, 0}) {
      auto r = client.RoundTrip(Get("/file?offset=" + std::to_string(offset) + "&length=" +
                                    std::to_string(length) + "&fd=" + std::to_string(fd)));
      ASSERT_TRUE(r) << offset << " " << length << " " << fd;
      EXPECT_EQ(r->Header("Content-Length"), std::to_string(length));
      EXPECT_TRUE(r->body == file_->Slice(offset, length)) << offset << " " << length << " " << fd;
    }
  }
}

TEST_F(FileTest, ReaderWithoutDescriptorIsCopiedInChunks) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/file?fd=0"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->body == file_->Slice(0, kSize));
}

TEST_F(FileTest, HeadOfAFileSendsItsLengthOnly) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("HEAD /file?offset=10&length=100 HTTP/1.1\r\nHost: t\r\n\r\n" +
                          Get("/file?offset=0&length=5")));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->Header("Content-Length"), "100");
  auto get = client.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, file_->Slice(0, 5));
}

TEST_F(FileTest, FileShorterThanPromisedClosesTheConnection) {
  for (int fd : {1, 0}) {
    RawClient client(port());
    ASSERT_TRUE(client.Send(Get("/file?short=1000&fd=" + std::to_string(fd))));
    auto r = client.Read();
    EXPECT_FALSE(r);  // the body ends early: the client sees the connection close
  }
}

}  // namespace
}  // namespace imagefs::service::http::testing
