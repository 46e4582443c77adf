// Benchmarks of imaged's HTTP layer over 127.0.0.1, and a server for external tools.
//
//   http_bench [--benchmark_filter=...]      Google Benchmark cases (below)
//   http_bench serve PORT [FILE]             serves until SIGINT/SIGTERM:
//       GET /json          a 650-byte JSON body (for wrk)
//       GET /file[?fd=0]   FILE with sendfile (fd=0: through ReadAt) (for curl)
//       PUT /upload        reads and discards the body with 1 MiB reads
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "service/http/router.h"
#include "service/http/server.h"

namespace imagefs::service::http {
namespace {

// A typical image record, 650 bytes.
std::string SmallJson() {
  std::string json =
      R"({"name": "cirros-0.6.2-x86_64-disk", "disk_format": "qcow2", "container_format": )"
      R"("bare", "visibility": "public", "size": 21430272, "virtual_size": 117440512, )"
      R"("status": "active", "checksum": "c8fc807773e5354afe61636071771906", "protected": )"
      R"(false, "min_ram": 0, "min_disk": 0, "owner": "4b4c8b4b0e3b4a5f9c2d8e7f6a5b4c3d", )"
      R"("os_hidden": false, "os_hash_algo": "sha512", "id": )"
      R"("2a1c7c4e-5b7d-4f0e-9c1a-3d2e1f0a9b8c", "created_at": "2024-01-01T00:00:00Z", )"
      R"("updated_at": "2024-01-01T00:00:00Z", "tags": [], "self": )"
      R"("/v2/images/2a1c7c4e-5b7d-4f0e-9c1a-3d2e1f0a9b8c", "file": )"
      R"("/v2/images/2a1c7c4e-5b7d-4f0e-9c1a-3d2e1f0a9b8c/file", "schema": "/v2/schemas/image"})";
  json.resize(650, ' ');
  return json;
}

class FdReader : public RangeReader {
 public:
  FdReader(int fd, uint64_t size, bool expose) : fd_(fd), size_(size), expose_(expose) {}
  uint64_t size() const override { return size_; }
  int fd() const override { return expose_ ? fd_ : -1; }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
    return got < 0 ? Result<size_t>(ErrnoStatus(errno, "pread")) : static_cast<size_t>(got);
  }

 private:
  int fd_;
  uint64_t size_;
  bool expose_;
};

// The benchmark routes. `file_fd` < 0: no /file.
void AddRoutes(Router& router, int file_fd, uint64_t file_size) {
  router.Add("GET", "/json", [json = SmallJson()](Request&) -> Result<Response> {
    return Response::Json(200, json);
  });
  router.Add("PUT", "/upload", [](Request& req) -> Result<Response> {
    std::vector<char> buf(1 << 20);
    uint64_t total = 0;
    for (;;) {
      IMAGEFS_ASSIGN_OR_RETURN(size_t n, req.body->Read(buf.data(), buf.size()));
      if (n == 0) {
        break;
      }
      total += n;
    }
    return Response::Json(200, std::to_string(total));
  });
  router.Add("GET", "/file", [file_fd, file_size](Request& req) -> Result<Response> {
    Response response;
    response.SetHeader("Content-Type", "application/octet-stream");
    response.file = std::make_shared<FdReader>(file_fd, file_size, req.QueryParam("fd") != "0");
    response.file_length = file_size;
    return response;
  });
}

Application Dispatch(const Router& router) {
  return [&router](Request& req) {
    RouteMatch match = router.Match(req.method, req.path);
    if (match.handler == nullptr) {
      return Response::Empty(404);
    }
    Result<Response> response = (*match.handler)(req);
    return response.ok() ? std::move(response).value() : Response::Empty(500);
  };
}

// A blocking loopback client.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::abort();
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() { ::close(fd_); }

  void SendAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) {
        std::abort();
      }
      p += k;
      n -= static_cast<size_t>(k);
    }
  }

  // Reads one response and returns its body length; the body is discarded.
  uint64_t ReadResponse() {
    while (pending_.find("\r\n\r\n") == std::string::npos) {
      Fill();
    }
    size_t end = pending_.find("\r\n\r\n") + 4;
    const char* cl = std::strstr(pending_.c_str(), "Content-Length: ");
    uint64_t length = cl != nullptr ? std::strtoull(cl + 16, nullptr, 10) : 0;
    pending_.erase(0, end);
    uint64_t left = length;
    size_t from_pending = static_cast<size_t>(std::min<uint64_t>(left, pending_.size()));
    pending_.erase(0, from_pending);
    left -= from_pending;
    std::vector<char> buf(1 << 20);
    while (left > 0) {
      ssize_t k = ::recv(fd_, buf.data(), std::min<uint64_t>(left, buf.size()), 0);
      if (k <= 0) {
        std::abort();
      }
      left -= static_cast<uint64_t>(k);
    }
    return length;
  }

 private:
  void Fill() {
    char buf[4096];
    ssize_t k = ::recv(fd_, buf, sizeof(buf), 0);
    if (k <= 0) {
      std::abort();
    }
    pending_.append(buf, static_cast<size_t>(k));
  }

  int fd_;
  std::string pending_;
};

struct BenchServer {
  explicit BenchServer(int file_fd = -1, uint64_t file_size = 0) {
    AddRoutes(router, file_fd, file_size);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    server = std::move(Server::Start(options, Dispatch(router))).value();
  }
  Router router;
  std::unique_ptr<Server> server;
};

void BM_SmallGetKeepAlive(benchmark::State& state) {
  BenchServer s;
  Client client(s.server->port());
  const std::string request = "GET /json HTTP/1.1\r\nHost: b\r\n\r\n";
  for (auto _ : state) {
    client.SendAll(request.data(), request.size());
    benchmark::DoNotOptimize(client.ReadResponse());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SmallGetKeepAlive)->UseRealTime();

// Raw request-body read throughput: the handler reads 1 MiB at a time and discards.
void BM_UploadBody(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  const bool chunked = state.range(1) != 0;
  BenchServer s;
  Client client(s.server->port());
  std::vector<char> data(1 << 20, 'x');
  std::string chunk_header = "100000\r\n";  // 1 MiB chunks
  for (auto _ : state) {
    std::string header = "PUT /upload HTTP/1.1\r\nHost: b\r\n";
    header += chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                      : "Content-Length: " + std::to_string(size) + "\r\n\r\n";
    client.SendAll(header.data(), header.size());
    for (uint64_t sent = 0; sent < size; sent += data.size()) {
      if (chunked) {
        client.SendAll(chunk_header.data(), chunk_header.size());
      }
      client.SendAll(data.data(), data.size());
      if (chunked) {
        client.SendAll("\r\n", 2);
      }
    }
    if (chunked) {
      client.SendAll("0\r\n\r\n", 5);
    }
    client.ReadResponse();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_UploadBody)
    ->ArgsProduct({{256 << 20}, {0, 1}})
    ->ArgNames({"bytes", "chunked"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Download throughput of a file body: sendfile (fd=1) or ReadAt copies (fd=0).
void BM_DownloadFile(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  char path[] = "/tmp/http_bench_XXXXXX";
  int fd = ::mkstemp(path);
  ::unlink(path);
  std::vector<char> data(1 << 20, 'y');
  for (uint64_t done = 0; done < size; done += data.size()) {
    if (::write(fd, data.data(), data.size()) < 0) {
      std::abort();
    }
  }
  BenchServer s(fd, size);
  Client client(s.server->port());
  const std::string request = std::string("GET /file?fd=") + (state.range(1) != 0 ? "1" : "0") +
                              " HTTP/1.1\r\nHost: b\r\n\r\n";
  for (auto _ : state) {
    client.SendAll(request.data(), request.size());
    benchmark::DoNotOptimize(client.ReadResponse());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  ::close(fd);
}
BENCHMARK(BM_DownloadFile)
    ->ArgsProduct({{256 << 20}, {1, 0}})
    ->ArgNames({"bytes", "sendfile"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

int Serve(int argc, char** argv) {
  int file_fd = argc > 3 ? ::open(argv[3], O_RDONLY | O_CLOEXEC) : -1;
  struct stat st {};
  if (file_fd >= 0) {
    ::fstat(file_fd, &st);
  }
  Router router;
  AddRoutes(router, file_fd, static_cast<uint64_t>(st.st_size));
  // Block the stop signals in every thread (the server's inherit the mask); sigwait below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ServerOptions options;
  options.listen = std::string("127.0.0.1:") + argv[2];
  Result<std::unique_ptr<Server>> server = Server::Start(options, Dispatch(router));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("serving on 127.0.0.1:%u\n", (*server)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Shutdown(std::chrono::seconds(1));
  std::printf("served %llu requests\n",
              static_cast<unsigned long long>((*server)->requests_served()));
  return 0;
}

}  // namespace
}  // namespace imagefs::service::http

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "serve") == 0) {
    return imagefs::service::http::Serve(argc, argv);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
