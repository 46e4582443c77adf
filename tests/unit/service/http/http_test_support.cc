#include "tests/unit/service/http/http_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "service/http/error_mapping.h"

namespace imagefs::service::http::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

size_t CountDirEntries(const char* path) {
  DIR* dir = ::opendir(path);
  if (dir == nullptr) {
    return 0;
  }
  size_t n = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') {
      ++n;
    }
  }
  ::closedir(dir);
  return n;
}

}  // namespace

std::optional<std::string> RawResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameEquals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

RawClient::RawClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() { Close(); }

void RawClient::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool RawClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawClient::Fill(size_t n, Clock::time_point deadline) {
  char chunk[64 * 1024];
  while (buffer_.size() < n) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) <= 0) {
      return false;
    }
    ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got <= 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

bool RawClient::FillUntil(std::string_view marker, Clock::time_point deadline) {
  while (buffer_.find(marker) == std::string::npos) {
    if (!Fill(buffer_.size() + 1, deadline)) {
      return false;
    }
  }
  return true;
}

std::optional<RawResponse> RawClient::Read(bool head, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  if (!FillUntil("\r\n\r\n", deadline)) {
    return std::nullopt;
  }
  size_t header_end = buffer_.find("\r\n\r\n") + 4;
  std::string header = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end);
  RawResponse response;
  if (header.size() < 12 || header.compare(0, 5, "HTTP/") != 0) {
    return std::nullopt;
  }
  response.status = std::atoi(header.c_str() + 9);
  size_t pos = header.find("\r\n") + 2;
  while (pos + 2 < header.size()) {
    size_t eol = header.find("\r\n", pos);
    std::string line = header.substr(pos, eol - pos);
    size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers.emplace_back(line.substr(0, colon), value);
    pos = eol + 2;
  }
  size_t length = std::stoul(response.Header("Content-Length").value_or("0"));
  if (head || response.status == 100) {
    return response;
  }
  if (!Fill(length, deadline)) {
    return std::nullopt;
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

std::optional<RawResponse> RawClient::RoundTrip(std::string_view request) {
  if (!Send(request)) {
    return std::nullopt;
  }
  return Read();
}

bool RawClient::WaitClosed(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  char chunk[4096];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) <= 0) {
      return false;
    }
    ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got <= 0) {
      return true;  // EOF or reset
    }
  }
}

std::string Get(std::string_view target, std::string_view extra) {
  std::string request = "GET ";
  request.append(target).append(" HTTP/1.1\r\nHost: test\r\n").append(extra).append("\r\n");
  return request;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) {
    result.out.append(chunk, n);
  }
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Result<size_t> FileReader::ReadAt(uint64_t offset, void* buf, size_t n) {
  if (offset >= size_) {
    return size_t{0};
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
  if (got < 0) {
    return ErrnoStatus(errno, "pread");
  }
  return static_cast<size_t>(got);
}

TempFile::TempFile(uint64_t size, uint32_t seed) : size_(size) {
  char path[] = "/tmp/http_test_XXXXXX";
  fd_ = ::mkstemp(path);
  path_ = path;
  std::mt19937 rng(seed);
  std::string chunk(1 << 20, '\0');
  for (uint64_t done = 0; done < size;) {
    for (char& c : chunk) {
      c = static_cast<char>(rng());
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - done));
    if (::pwrite(fd_, chunk.data(), n, static_cast<off_t>(done)) != static_cast<ssize_t>(n)) {
      std::abort();
    }
    done += n;
  }
}

TempFile::~TempFile() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

std::string TempFile::Slice(uint64_t offset, uint64_t length) const {
  std::string out(length, '\0');
  ssize_t got = ::pread(fd_, out.data(), length, static_cast<off_t>(offset));
  out.resize(got < 0 ? 0 : static_cast<size_t>(got));
  return out;
}

Application RouterApp(const Router& router) {
  return [&router](Request& req) -> Response {
    RouteMatch match = router.Match(req.method, req.path);
    if (match.handler == nullptr) {
      if (!match.allow.empty()) {
        Response response =
            ErrorResponse(405, "The method " + req.method + " is not allowed for this resource.");
        response.SetHeader("Allow", match.allow);
        return response;
      }
      return ErrorResponse(404, "The resource could not be found.");
    }
    if (match.options->reject_body && req.body->present()) {
      return ErrorResponse(400, "A body is not expected with this request.",
                           match.options->error_style);
    }
    req.path_params = std::move(match.params);
    Result<Response> response = (*match.handler)(req);
    if (!response.ok()) {
      return ErrorResponse(response.status(), match.options->error_style);
    }
    return std::move(response).value();
  };
}

size_t CountOpenFds() { return CountDirEntries("/proc/self/fd"); }
size_t CountThreads() { return CountDirEntries("/proc/self/task"); }

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (!predicate()) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void ServerTest::TearDown() {
  if (server_ != nullptr) {
    server_->Shutdown();
  }
}

void ServerTest::StartServer(ServerOptions options) { StartServer(options, RouterApp(router_)); }

void ServerTest::StartServer(ServerOptions options, Application app) {
  options.listen = "127.0.0.1:0";
  Result<std::unique_ptr<Server>> server = Server::Start(options, std::move(app));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(server).value();
  ASSERT_NE(server_->port(), 0);
}

}  // namespace imagefs::service::http::testing
