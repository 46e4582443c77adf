// Interoperability with curl: keep-alive reuse, chunked upload, ranged download.
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/digest.h"
#include "tests/unit/service/http/http_test_support.h"

namespace imagefs::service::http::testing {
namespace {

class CurlTest : public ServerTest {
 protected:
  void SetUp() override {
    if (RunCommand("curl --version >/dev/null 2>&1").exit_code != 0) {
      GTEST_SKIP() << "curl is not installed";
    }
    file_ = std::make_unique<TempFile>(3 * 1024 * 1024 + 5, 11);
    router_.Add("GET", "/hello", [](Request&) -> Result<Response> {
      return Response::Json(200, R"({"hello": "world"})");
    });
    router_.Add("PUT", "/upload", [](Request& req) -> Result<Response> {
      Digest digest(DigestAlgorithm::kSha256);
      std::vector<char> buf(256 * 1024);
      for (;;) {
        IMAGEFS_ASSIGN_OR_RETURN(size_t n, req.body->Read(buf.data(), buf.size()));
        if (n == 0) {
          break;
        }
        digest.Update(buf.data(), n);
      }
      return Response::Json(200, digest.FinishHex());
    });
    router_.Add("GET", "/file", [this](Request& req) -> Result<Response> {
      Response response;
      response.file = std::make_shared<FileReader>(file_->fd(), file_->size(), true);
      response.file_length = file_->size();
      if (std::optional<std::string_view> range = req.Header("Range")) {
        // "bytes=a-b" only; enough for the test.
        std::string spec(range->substr(6));
        uint64_t first = std::stoull(spec.substr(0, spec.find('-')));
        uint64_t last = std::stoull(spec.substr(spec.find('-') + 1));
        response.status = 206;
        response.file_offset = first;
        response.file_length = last - first + 1;
      }
      return response;
    });
    StartServer();
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

  std::unique_ptr<TempFile> file_;
};

TEST_F(CurlTest, CurlReusesTheConnection) {
  CommandResult r = RunCommand("curl -sv " + Url("/hello") + " " + Url("/hello") + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Re-using existing connection"), std::string::npos) << r.out;
  EXPECT_EQ(server_->requests_served(), 2u);
}

TEST_F(CurlTest, CurlChunkedUploadIsStreamed) {
  CommandResult r = RunCommand("curl -sS -T " + file_->path() +
                               " -H 'Transfer-Encoding: chunked' " + Url("/upload"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, DigestHex(DigestAlgorithm::kSha256, file_->Slice(0, file_->size())));
}

TEST_F(CurlTest, CurlContentLengthUploadWithExpectContinue) {
  CommandResult r =
      RunCommand("curl -sS -T " + file_->path() + " " + Url("/upload") + " -w ' %{time_total}'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.substr(0, 64),
            DigestHex(DigestAlgorithm::kSha256, file_->Slice(0, file_->size())));
  // curl waits 1 s for "100 Continue" unless the server sends it.
  EXPECT_LT(std::stod(r.out.substr(65)), 0.9) << r.out;
}

TEST_F(CurlTest, CurlRangedDownloadMatchesTheFile) {
  char out[] = "/tmp/http_curl_XXXXXX";
  int fd = ::mkstemp(out);
  ::close(fd);
  CommandResult r = RunCommand("curl -sS -o " + std::string(out) + " -r 1000-2000999 " +
                               Url("/file") + " -w '%{http_code} %{size_download}'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "206 2000000");
  CommandResult downloaded = RunCommand("cat " + std::string(out));
  ::unlink(out);
  EXPECT_TRUE(downloaded.out == file_->Slice(1000, 2000000));
}

}  // namespace
}  // namespace imagefs::service::http::testing
