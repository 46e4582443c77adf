// Limits, timeouts, connection caps, shutdown, load and hostile input.
#include <atomic>
#include <latch>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "tests/unit/service/http/http_test_support.h"

namespace imagefs::service::http::testing {
namespace {

using std::chrono::milliseconds;

class LimitsTest : public ServerTest {
 protected:
  void SetUp() override {
    router_.Add("GET", "/hello", [](Request&) -> Result<Response> {
      return Response::Json(200, R"({"hello": "world"})");
    });
    router_.Add("GET", "/block", [this](Request&) -> Result<Response> {
      entered_.fetch_add(1);
      release_.wait(false);
      return Response::Json(200, "released");
    });
    router_.Add("PUT", "/body", [](Request& req) -> Result<Response> {
      IMAGEFS_ASSIGN_OR_RETURN(std::string body, req.body->ReadAll(1 << 20));
      return Response::Json(200, std::to_string(body.size()));
    });
  }

  void Release() {
    release_.store(true);
    release_.notify_all();
  }

  std::atomic<int> entered_{0};
  std::atomic<bool> release_{false};
};

TEST_F(LimitsTest, OversizedHeaderIs431) {
  ServerOptions options;
  options.max_header_bytes = 4096;
  StartServer(options);
  RawClient client(port());
  auto r = client.RoundTrip(Get("/hello", "X-Big: " + std::string(5000, 'a') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find("431 Request Header Fields Too Large"), std::string::npos);
  EXPECT_TRUE(client.WaitClosed());
  RawClient ok(port());
  r = ok.RoundTrip(Get("/hello", "X-Big: " + std::string(3000, 'a') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(LimitsTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = milliseconds(200);
  StartServer(options);
  RawClient client(port());
  ASSERT_TRUE(client.RoundTrip(Get("/hello")));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitClosed(std::chrono::seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(150));
  EXPECT_TRUE(WaitFor([&] { return server_->open_connections() == 0; }));
}

TEST_F(LimitsTest, SilentClientIsClosedAfterHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = milliseconds(200);
  StartServer(options);
  RawClient client(port());
  EXPECT_TRUE(client.WaitClosed(std::chrono::seconds(5)));
}

TEST_F(LimitsTest, SlowHeaderGets408) {
  ServerOptions options;
  options.header_timeout = milliseconds(300);
  StartServer(options);
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nHost"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(LimitsTest, HeaderTimeoutCoversTheWholeHeaderNotEachByte) {
  ServerOptions options;
  options.header_timeout = milliseconds(300);
  StartServer(options);
  RawClient client(port());
  auto start = std::chrono::steady_clock::now();
  std::optional<RawResponse> r;
  std::thread drip([&] {
    for (char c : std::string("GET /hello HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")) {
      if (!client.Send(std::string(1, c))) {
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  r = client.Read();
  drip.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

TEST_F(LimitsTest, ConnectionsBeyondTheCapGet503) {
  ServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  RawClient a(port());
  RawClient b(port());
  ASSERT_TRUE(a.RoundTrip(Get("/hello")));
  ASSERT_TRUE(b.RoundTrip(Get("/hello")));
  RawClient c(port());
  auto r = c.RoundTrip(Get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_NE(r->body.find("\"code\": \"503 Service Unavailable\""), std::string::npos);
  EXPECT_EQ(std::stoul(*r->Header("Content-Length")), r->body.size());
  EXPECT_TRUE(c.WaitClosed());
  a.Close();
  ASSERT_TRUE(WaitFor([&] { return server_->open_connections() == 1; }));
  RawClient d(port());
  r = d.RoundTrip(Get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(LimitsTest, ShutdownClosesIdleConnectionsAndWaitsForInFlightRequests) {
  StartServer();
  RawClient idle(port());
  ASSERT_TRUE(idle.RoundTrip(Get("/hello")));
  RawClient busy(port());
  ASSERT_TRUE(busy.Send(Get("/block")));
  ASSERT_TRUE(WaitFor([&] { return entered_.load() == 1; }));
  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(200));
    Release();
  });
  auto start = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - start;
  releaser.join();
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(5));
  auto r = busy.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "released");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(idle.WaitClosed(milliseconds(100)));
  RawClient after(port());  // the listener is closed
  EXPECT_LT(after.fd(), 0);
}

TEST_F(LimitsTest, ShutdownFailsStuckBodyReadsAfterTheGracePeriod) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT /body HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc"));
  ASSERT_TRUE(WaitFor([&] { return server_->open_connections() == 1; }));
  std::this_thread::sleep_for(milliseconds(50));  // let the handler block in Read
  auto start = std::chrono::steady_clock::now();
  server_->Shutdown(milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(client.WaitClosed());
  server_->Shutdown(milliseconds(200));  // idempotent
}

TEST_F(LimitsTest, TenThousandSequentialRequestsOnOneConnection) {
  StartServer();
  RawClient client(port());
  const std::string request = Get("/hello");
  for (int i = 0; i < 10000; ++i) {
    auto r = client.RoundTrip(request);
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200) << i;
  }
  EXPECT_EQ(server_->requests_served(), 10000u);
}

TEST_F(LimitsTest, TwoHundredConcurrentConnections) {
  StartServer();
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(port()));
    ASSERT_GE(clients.back()->fd(), 0);
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (int i = t; i < kClients; i += 8) {
          auto r = clients[i]->RoundTrip(Get("/hello"));
          if (r && r->status == 200) {
            ok.fetch_add(1);
          }
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), kClients * 5);
  EXPECT_EQ(server_->open_connections(), static_cast<size_t>(kClients));
}

TEST_F(LimitsTest, NoDescriptorOrThreadLeaks) {
  size_t fds_before = CountOpenFds();
  size_t threads_before = CountThreads();
  StartServer();
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 50; ++i) {
      clients.push_back(std::make_unique<RawClient>(port()));
      ASSERT_TRUE(clients.back()->RoundTrip(Get("/hello")));
    }
  }
  // Idle workers are reused: 50 connections at a time never need more than ~50 threads.
  ASSERT_TRUE(WaitFor([&] { return server_->open_connections() == 0; }));
  EXPECT_LE(CountThreads(), threads_before + 1 + 50 + 5);
  EXPECT_LE(CountOpenFds(), fds_before + 3);
  server_->Shutdown();
  server_.reset();
  EXPECT_EQ(CountThreads(), threads_before);
  EXPECT_EQ(CountOpenFds(), fds_before);
}

TEST_F(LimitsTest, GarbageAndTruncatedRequestsNeverBreakTheServer) {
  ServerOptions options;
  options.header_timeout = milliseconds(200);
  options.io_timeout = milliseconds(200);
  StartServer(options);
  const std::vector<std::string> seeds = {
      Get("/hello"),
      "PUT /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
      "PUT /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  };
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    switch (rng() % 4) {
      case 0:  // truncate
        input.resize(rng() % input.size());
        break;
      case 1:  // flip bytes
        for (int k = 0; k < 3; ++k) {
          input[rng() % input.size()] = static_cast<char>(rng());
        }
        break;
      case 2:  // pure garbage
        input.resize(1 + rng() % 200);
        for (char& c : input) {
          c = static_cast<char>(rng());
        }
        break;
      default:  // insert garbage
        input.insert(rng() % input.size(), std::string(1 + rng() % 20, static_cast<char>(rng())));
    }
    RawClient client(port());
    client.Send(input);
    if (rng() % 2 == 0) {
      client.Close();  // abrupt
    } else {
      ::shutdown(client.fd(), SHUT_WR);
      client.WaitClosed(std::chrono::seconds(5));
    }
  }
  RawClient client(port());
  auto r = client.RoundTrip(Get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(WaitFor([&] { return server_->open_connections() == 1; }));
}

TEST(ServerStartTest, BadListenAddressIsInvalidArgument) {
  for (const char* listen : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:8x"}) {
    ServerOptions options;
    options.listen = listen;
    Result<std::unique_ptr<Server>> server =
        Server::Start(options, [](Request&) { return Response::Empty(204); });
    EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument) << listen;
  }
}

TEST(ServerStartTest, TakenPortIsUnavailable) {
  Application app = [](Request&) { return Response::Empty(204); };
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  Result<std::unique_ptr<Server>> first = Server::Start(options, app);
  ASSERT_TRUE(first.ok()) << first.status();
  options.listen = "127.0.0.1:" + std::to_string((*first)->port());
  Result<std::unique_ptr<Server>> second = Server::Start(options, app);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status();
}

}  // namespace
}  // namespace imagefs::service::http::testing
