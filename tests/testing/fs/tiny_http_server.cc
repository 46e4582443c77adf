#include "tests/testing/fs/tiny_http_server.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

namespace imagefs::fstest {
namespace {

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool SendFile(int sock, int fd, uint64_t offset, uint64_t length) {
  auto off = static_cast<off_t>(offset);
  while (length > 0) {
    ssize_t w = ::sendfile(sock, fd, &off, std::min<uint64_t>(length, 1 << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    length -= static_cast<uint64_t>(w);
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request from `fd` into `req`, using `buf` for bytes read past it.
bool ReadRequest(int fd, std::string& buf, HttpRequest& req) {
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[8192];
    ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || buf.size() > (1 << 20)) return false;
    buf.append(tmp, static_cast<size_t>(r));
  }
  std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req = HttpRequest();
  req.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(pos, e - pos);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      size_t v = h.find_first_not_of(" \t", colon + 1);
      req.headers[Lower(h.substr(0, colon))] = v == std::string::npos ? "" : h.substr(v);
    }
    pos = e + 2;
  }
  size_t length = std::strtoull(req.Header("content-length").c_str(), nullptr, 10);
  while (buf.size() < length) {
    char tmp[8192];
    ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
    if (r <= 0) return false;
    buf.append(tmp, static_cast<size_t>(r));
  }
  req.body = buf.substr(0, length);
  buf.erase(0, length);
  return true;
}

std::string HttpDateNow() {
  time_t now = ::time(nullptr);
  struct tm tm {};
  ::gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool SendResponse(int fd, const HttpResponse& r, bool head_only) {
  uint64_t length = r.file_fd >= 0 ? r.file_length : r.body.size();
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + ReasonPhrase(r.status) + "\r\n";
  head += "Date: " + HttpDateNow() + "\r\n";
  for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
  if (r.status != 204) head += "Content-Length: " + std::to_string(length) + "\r\n";
  head += "\r\n";
  if (!WriteAll(fd, head.data(), head.size())) return false;
  if (head_only || r.status == 204) return true;
  if (r.file_fd >= 0) return SendFile(fd, r.file_fd, r.file_offset, r.file_length);
  return WriteAll(fd, r.body.data(), r.body.size());
}

}  // namespace

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Requested Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

Status TinyHttpServer::Start(int port) {
  if (running_) return Status::Ok();
  if (port_ != 0) port = port_;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    Status s = ErrnoStatus(errno, "bind/listen");
    ::close(fd);
    return s;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
  running_ = true;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void TinyHttpServer::Stop() {
  if (!running_.exchange(false)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int c : conns_) ::shutdown(c, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void TinyHttpServer::AcceptLoop() {
  while (running_) {
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      return;
    }
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    if (!running_) {
      ::close(c);
      return;
    }
    conns_.push_back(c);
    threads_.emplace_back([this, c] { Serve(c); });
  }
}

void TinyHttpServer::Serve(int fd) {
  std::string buf;
  HttpRequest req;
  while (running_ && ReadRequest(fd, buf, req)) {
    HttpResponse resp = handler_(req);
    if (!running_ || !SendResponse(fd, resp, req.method == "HEAD")) break;
    if (Lower(req.Header("connection")) == "close") break;
  }
  std::lock_guard lock(mu_);
  conns_.erase(std::remove(conns_.begin(), conns_.end(), fd), conns_.end());
  ::close(fd);
}

}  // namespace imagefs::fstest
