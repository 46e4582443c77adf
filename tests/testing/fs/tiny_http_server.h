// TinyHttpServer: a small blocking HTTP/1.1 server for tests (keep-alive, one thread
// per connection, Content-Length bodies only). Stop() closes the listener and every
// connection, as a crashed service would; Start() again listens on the same port.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace imagefs::fstest {

struct HttpRequest {
  std::string method;
  std::string path;                            // without the query
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When >= 0, the body is `file_length` bytes of this fd from `file_offset` (sendfile).
  int file_fd = -1;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  std::shared_ptr<void> keep_alive;  // keeps file_fd open while sending
};

class TinyHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit TinyHttpServer(Handler handler) : handler_(std::move(handler)) {}
  ~TinyHttpServer() { Stop(); }
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  // Listens on 127.0.0.1:port (0 = any free port the first time; later starts reuse
  // the port chosen first).
  Status Start(int port = 0);
  void Stop();
  int port() const { return port_; }
  bool running() const { return running_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> running_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
};

const char* ReasonPhrase(int status);

}  // namespace imagefs::fstest
