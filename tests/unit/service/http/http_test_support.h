// Helpers for tests that drive a real http::Server over 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/range_reader.h"
#include "service/http/message.h"
#include "service/http/router.h"
#include "service/http/server.h"

namespace imagefs::service::http::testing {

// One parsed HTTP response.
struct RawResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;
};

// A blocking TCP client for raw protocol tests. Reads time out (the test fails
// rather than hangs).
class RawClient {
 public:
  // Connects to 127.0.0.1:port; fd() < 0 on failure.
  explicit RawClient(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  int fd() const { return fd_; }
  // Sends all bytes; false if the connection broke.
  bool Send(std::string_view bytes);
  // Reads one response (a HEAD answer has no body); nullopt on EOF, error or timeout.
  std::optional<RawResponse> Read(bool head = false,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends a request and reads its response.
  std::optional<RawResponse> RoundTrip(std::string_view request);
  // True when the server closes the connection within `timeout` (after any
  // remaining response bytes).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Closes the socket, making the server see a disconnect.
  void Close();

 private:
  // Reads until `buffer_` holds `n` bytes. False on EOF/error/timeout.
  bool Fill(size_t n, std::chrono::steady_clock::time_point deadline);
  bool FillUntil(std::string_view marker, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// "GET <target> HTTP/1.1" with a Host header and `extra` header lines (each ending in
// "\r\n").
std::string Get(std::string_view target, std::string_view extra = "");

// Runs a shell command; returns its exit status and stdout.
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult RunCommand(const std::string& command);

// A RangeReader over a file, with or without exposing its descriptor.
class FileReader : public RangeReader {
 public:
  FileReader(int fd, uint64_t size, bool expose_fd) : fd_(fd), size_(size), expose_fd_(expose_fd) {}
  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override;
  int fd() const override { return expose_fd_ ? fd_ : -1; }

 private:
  int fd_;
  uint64_t size_;
  bool expose_fd_;
};

// A temporary file of `size` pseudo-random bytes (fixed seed); removed on destruction.
class TempFile {
 public:
  explicit TempFile(uint64_t size, uint32_t seed = 1);
  ~TempFile();
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  std::string Slice(uint64_t offset, uint64_t length) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_;
};

// An Application that dispatches through `router` (404, 405 with Allow, reject_body,
// error style), the way the API layer is expected to.
Application RouterApp(const Router& router);

// Number of open descriptors and threads of this process.
size_t CountOpenFds();
size_t CountThreads();

// Polls `predicate` until true or `timeout`; returns its last value.
bool WaitFor(const std::function<bool()>& predicate,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Runs a Server on 127.0.0.1:0 that dispatches through router_ (add routes first).
class ServerTest : public ::testing::Test {
 protected:
  void TearDown() override;
  // Starts the server; options.listen is forced to 127.0.0.1:0.
  void StartServer(ServerOptions options = {});
  // Starts the server with a custom application instead of router_.
  void StartServer(ServerOptions options, Application app);
  uint16_t port() const { return server_->port(); }

  Router router_;
  std::unique_ptr<Server> server_;
};

}  // namespace imagefs::service::http::testing
