// Request bodies: Content-Length and chunked streaming, limits, draining, errors.
#include <condition_variable>
#include <mutex>
#include <random>

#include <gtest/gtest.h>

#include "common/digest.h"
#include "tests/unit/service/http/http_test_support.h"

namespace imagefs::service::http::testing {
namespace {

// The last Status a handler's body read ended with, handed to the test thread.
class StatusSlot {
 public:
  void Set(Status status) {
    std::lock_guard lock(mu_);
    status_ = std::move(status);
    cv_.notify_all();
  }
  std::optional<Status> Wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return status_.has_value(); });
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Status> status_;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(rng());
  }
  return s;
}

std::string Summary(const std::string& data) {
  return "bytes=" + std::to_string(data.size()) +
         " sha256=" + DigestHex(DigestAlgorithm::kSha256, data);
}

// Chunked encoding of `data` with pseudo-random chunk sizes, extensions and a trailer.
std::string Chunked(const std::string& data, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  char size[32];
  for (size_t pos = 0; pos < data.size();) {
    size_t n = std::min<size_t>(data.size() - pos, 1 + rng() % 100000);
    std::snprintf(size, sizeof(size), "%zx", n);
    out.append(size).append(rng() % 4 == 0 ? ";ext=1\r\n" : "\r\n");
    out.append(data, pos, n).append("\r\n");
    pos += n;
  }
  return out + "0\r\nX-Trailer: t\r\n\r\n";
}

class BodyTest : public ServerTest {
 protected:
  void SetUp() override {
    router_.Add("PUT", "/upload", [](Request& req) -> Result<Response> {
      Digest digest(DigestAlgorithm::kSha256);
      std::vector<char> buf(64 * 1024);
      uint64_t total = 0;
      for (;;) {
        IMAGEFS_ASSIGN_OR_RETURN(size_t n, req.body->Read(buf.data(), buf.size()));
        if (n == 0) {
          break;
        }
        digest.Update(buf.data(), n);
        total += n;
      }
      return Response::Json(200,
                            "bytes=" + std::to_string(total) + " sha256=" + digest.FinishHex());
    });
    router_.Add("POST", "/readall", [](Request& req) -> Result<Response> {
      IMAGEFS_ASSIGN_OR_RETURN(std::string body, req.body->ReadAll(1024));
      return Response::Json(200, std::to_string(body.size()));
    });
    router_.Add("POST", "/ignore",
                [](Request&) -> Result<Response> { return Response::Json(200, "ignored"); });
    router_.Add("PUT", "/watch", [this](Request& req) -> Result<Response> {
      char buf[4096];
      for (;;) {
        Result<size_t> n = req.body->Read(buf, sizeof(buf));
        if (!n.ok() || *n == 0) {
          slot_.Set(n.status());
          return n.ok() ? Result<Response>(Response::Empty(204)) : n.status();
        }
      }
    });
    router_.Add("POST", "/meta", [](Request& req) -> Result<Response> {
      std::optional<uint64_t> length = req.body->content_length();
      return Response::Json(200, std::string(req.body->present() ? "present" : "absent") + " " +
                                     (length ? std::to_string(*length) : "none"));
    });
    ServerOptions options;
    options.io_timeout = std::chrono::milliseconds(300);
    StartServer(options);
  }

  StatusSlot slot_;
};

TEST_F(BodyTest, ContentLengthBodyIsStreamedExactly) {
  std::string data = RandomBytes(3 * 1024 * 1024 + 123, 7);
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                          std::to_string(data.size()) + "\r\n\r\n" + data + Get("/nope")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, Summary(data));
  auto next = client.Read();  // pipelined after the body: framing stayed in sync
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 404);
}

TEST_F(BodyTest, ChunkedBodyIsDecodedAndStreamed) {
  std::string data = RandomBytes(2 * 1024 * 1024 + 17, 8);
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          Chunked(data, 9)));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, Summary(data));
  r = client.RoundTrip(Get("/nope"));  // still in sync after the trailer
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(BodyTest, BodyMetadataDescribesTheFraming) {
  RawClient client(port());
  auto r = client.RoundTrip("POST /meta HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(r->body, "absent none");
  r = client.RoundTrip("POST /meta HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r->body, "absent 0");
  r = client.RoundTrip("POST /meta HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(r->body, "present 3");
  r = client.RoundTrip(
      "POST /meta HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
  EXPECT_EQ(r->body, "present none");
}

TEST_F(BodyTest, ReadAllOverTheLimitIs413) {
  RawClient client(port());
  std::string big(2000, 'x');
  auto r =
      client.RoundTrip("POST /readall HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n" + big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  r = client.RoundTrip("POST /readall HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       Chunked(big, 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  r = client.RoundTrip("POST /readall HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" +
                       std::string(1024, 'y'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "1024");
}

TEST_F(BodyTest, SmallUnreadBodyIsDrainedAndTheConnectionKept) {
  RawClient client(port());
  auto r = client.RoundTrip("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" +
                            std::string(100000, 'z'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("Connection"), std::nullopt);
  r = client.RoundTrip(Get("/nope"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(BodyTest, LargeUnreadBodyClosesTheConnectionAfterAnswering) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n" +
                          std::string(1 << 20, 'z')));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(BodyTest, DisconnectMidBodyCancelsTheRead) {
  {
    RawClient client(port());
    ASSERT_TRUE(client.Send("PUT /watch HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" +
                            std::string(1000, 'a')));
  }
  std::optional<Status> status = slot_.Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code(), StatusCode::kCancelled) << *status;
}

TEST_F(BodyTest, DisconnectMidChunkCancelsTheRead) {
  {
    RawClient client(port());
    ASSERT_TRUE(
        client.Send("PUT /watch HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "1000\r\nabc"));
  }
  std::optional<Status> status = slot_.Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code(), StatusCode::kCancelled) << *status;
}

TEST_F(BodyTest, StalledBodyTimesOutAsUnavailable) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT /watch HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc"));
  std::optional<Status> status = slot_.Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code(), StatusCode::kUnavailable) << *status;
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(BodyTest, MalformedChunkIsInvalidArgument) {
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "PUT /watch HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"));
  std::optional<Status> status = slot_.Wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code(), StatusCode::kInvalidArgument) << *status;
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(BodyTest, ExpectContinueIsAnsweredWhenTheBodyIsRead) {
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.Read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("hello"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, Summary("hello"));
}

TEST_F(BodyTest, ExpectContinueWithoutReadingClosesWithout100) {
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Connection"), "close");
  client.Close();  // as curl does after a final answer to an Expect
}

}  // namespace
}  // namespace imagefs::service::http::testing
