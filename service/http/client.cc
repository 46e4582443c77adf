#include "service/http/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "service/http/socket_io.h"

namespace imagefs::service::http {
namespace {

namespace beast_http = boost::beast::http;
using ErrorCode = boost::system::error_code;
using Parser = beast_http::response_parser<beast_http::buffer_body>;

// One TCP connection of the client; closes its descriptor when destroyed.
struct ClientConnection {
  ClientConnection(int descriptor, std::string pool_key)
      : fd(descriptor), stream(descriptor), key(std::move(pool_key)) {}
  ~ClientConnection() { ::close(fd); }
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  const int fd;
  SocketStream stream;
  boost::beast::flat_buffer buffer;
  const std::string key;  // "host:port"
};

std::string PoolKey(const Url& url) { return url.host + ":" + std::to_string(url.port); }

std::string AddressText(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
                sizeof text);
  }
  return text;
}

// Connects the non-blocking socket `fd` within `timeout`.
Status ConnectOne(int fd, const addrinfo& ai, std::chrono::milliseconds timeout,
                  const std::string& what) {
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0) return Status::Ok();
  if (errno != EINPROGRESS) return Unavailable("connect to " + what + ": " + std::strerror(errno));
  pollfd p{fd, POLLOUT, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return DeadlineExceeded("connect to " + what + " timed out");
  int err = 0;
  socklen_t len = sizeof err;
  if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Unavailable("connect to " + what + ": " + std::strerror(err));
  return Status::Ok();
}

// Resolves the URL's host, vets every address, and connects to the first that answers.
Result<std::unique_ptr<ClientConnection>> Connect(const ClientRequest& request,
                                                  const ClientOptions& options) {
  const Url& url = request.url;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found);
  if (rc != 0) {
    return Unavailable("cannot resolve host '" + url.host + "': " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (request.address_check) IMAGEFS_RETURN_IF_ERROR(request.address_check(AddressText(ai->ai_addr)));
  }
  Status last = Unavailable("no address for host '" + url.host + "'");
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoStatus(errno, "socket");
    auto conn = std::make_unique<ClientConnection>(fd, PoolKey(url));
    last = ConnectOne(fd, *ai, options.connect_timeout, url.HostHeader());
    if (last.ok()) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conn->stream.set_io_timeout(options.io_timeout);
      return conn;
    }
  }
  return last;
}

Status FromIo(const ErrorCode& ec, std::string_view what, const Url& url) {
  std::string m = std::string(what) + " " + url.HostHeader() + ": " + ec.message();
  if (ec == boost::asio::error::timed_out) return DeadlineExceeded(std::move(m));
  if (ec == beast_http::error::header_limit || ec == beast_http::error::body_limit) {
    return ResourceExhausted(std::move(m));
  }
  return Unavailable(std::move(m));
}

Result<std::string> FormatHead(const ClientRequest& request, bool keep_alive) {
  std::string head = request.method + " " + request.url.target + " HTTP/1.1\r\nHost: " +
                     request.url.HostHeader() + "\r\n";
  for (const auto& [name, value] : request.headers) {
    if ((name + value).find_first_of("\r\n") != std::string::npos) {
      return InvalidArgument("header " + name + " contains a line break");
    }
    head += name + ": " + value + "\r\n";
  }
  const std::string& m = request.method;
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return head;
}

// True when an idle connection has input or was closed by the server.
bool IsStale(const ClientConnection& conn) {
  pollfd p{conn.fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace

std::optional<std::string_view> ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameEquals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string_view> ResponseStream::Header(std::string_view name) const {
  for (const auto& [key, value] : headers()) {
    if (HeaderNameEquals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

class ConnectionPool {
 public:
  explicit ConnectionPool(size_t max_idle) : max(max_idle) {}

  std::unique_ptr<ClientConnection> Take(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if ((*it)->key != key) continue;
      std::unique_ptr<ClientConnection> conn = std::move(*it);
      idle.erase(it);
      if (!IsStale(*conn)) return conn;
      return nullptr;  // closed by the server; the caller connects afresh
    }
    return nullptr;
  }

  void Put(std::unique_ptr<ClientConnection> conn) {
    std::lock_guard<std::mutex> lock(mu);
    idle.push_back(std::move(conn));
    while (idle.size() > max) idle.pop_front();
  }

  const size_t max;
  std::mutex mu;
  std::deque<std::unique_ptr<ClientConnection>> idle;  // oldest first, GUARDED_BY(mu)
};

namespace {

class StreamImpl final : public ResponseStream {
 public:
  StreamImpl(std::unique_ptr<ClientConnection> conn, std::unique_ptr<Parser> parser,
             std::shared_ptr<ConnectionPool> pool, Url url)
      : conn_(std::move(conn)), parser_(std::move(parser)), pool_(std::move(pool)),
        url_(std::move(url)) {
    const auto& msg = parser_->get();
    status_ = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      headers_.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (parser_->is_done()) Finish();
  }

  int status() const override { return status_; }
  const HeaderList& headers() const override { return headers_; }
  std::optional<uint64_t> content_length() const override {
    auto n = parser_->content_length();
    return n ? std::optional<uint64_t>(*n) : std::nullopt;
  }

  Result<size_t> Read(void* buf, size_t n) override {
    while (!done_ && n > 0) {
      auto& body = parser_->get().body();
      body.data = buf;
      body.size = n;
      ErrorCode ec;
      beast_http::read(conn_->stream, conn_->buffer, *parser_, ec);
      if (ec == beast_http::error::need_buffer) ec = {};
      if (ec) return FromIo(ec, "reading the response of", url_);
      size_t got = n - body.size;
      if (parser_->is_done()) Finish();
      if (got > 0) return got;
    }
    return size_t{0};
  }

 private:
  void Finish() {
    done_ = true;
    if (pool_ != nullptr && parser_->keep_alive()) pool_->Put(std::move(conn_));
  }

  std::unique_ptr<ClientConnection> conn_;
  std::unique_ptr<Parser> parser_;
  std::shared_ptr<ConnectionPool> pool_;  // null: no keep-alive
  const Url url_;
  int status_ = 0;
  HeaderList headers_;
  bool done_ = false;
};

// Writes the request on `conn` and reads the response header.
Result<std::unique_ptr<ResponseStream>> Exchange(std::unique_ptr<ClientConnection> conn,
                                                 const ClientRequest& request,
                                                 const ClientOptions& options,
                                                 std::shared_ptr<ConnectionPool> pool) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string head, FormatHead(request, pool != nullptr));
  ErrorCode ec;
  conn->stream.WriteAll(head.data(), head.size(), ec);
  if (!ec && !request.body.empty()) {
    conn->stream.WriteAll(request.body.data(), request.body.size(), ec);
  }
  if (ec) return FromIo(ec, "sending a request to", request.url);
  auto parser = std::make_unique<Parser>();
  parser->header_limit(static_cast<uint32_t>(options.max_header_bytes));
  parser->body_limit(boost::none);
  if (request.method == "HEAD") parser->skip(true);
  beast_http::read_header(conn->stream, conn->buffer, *parser, ec);
  if (ec) return FromIo(ec, "reading the response header of", request.url);
  return std::unique_ptr<ResponseStream>(
      std::make_unique<StreamImpl>(std::move(conn), std::move(parser), std::move(pool), request.url));
}

}  // namespace

HttpClient::HttpClient(ClientOptions options)
    : options_(std::move(options)), pool_(std::make_shared<ConnectionPool>(options_.max_idle_connections)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<ResponseStream>> HttpClient::Open(const ClientRequest& request) {
  std::shared_ptr<ConnectionPool> pool = options_.keep_alive ? pool_ : nullptr;
  if (pool != nullptr) {
    if (std::unique_ptr<ClientConnection> idle = pool->Take(PoolKey(request.url))) {
      Result<std::unique_ptr<ResponseStream>> reused = Exchange(std::move(idle), request, options_, pool);
      // The server may close an idle connection as we reuse it: try once afresh.
      if (reused.ok() || reused.status().code() != StatusCode::kUnavailable) return reused;
    }
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<ClientConnection> conn, Connect(request, options_));
  return Exchange(std::move(conn), request, options_, std::move(pool));
}

Result<ClientResponse> HttpClient::Send(const ClientRequest& request) {
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<ResponseStream> stream, Open(request));
  ClientResponse response;
  response.status = stream->status();
  response.headers = stream->headers();
  constexpr size_t kStep = 64 * 1024;
  for (;;) {
    size_t old = response.body.size();
    response.body.resize(old + kStep);
    Result<size_t> got = stream->Read(response.body.data() + old, kStep);
    if (!got.ok()) return got.status();
    response.body.resize(old + *got);
    if (*got == 0) return response;
    if (response.body.size() > options_.max_body_bytes) {
      return ResourceExhausted("response of " + request.url.HostHeader() + " exceeds " +
                               std::to_string(options_.max_body_bytes) + " bytes");
    }
  }
}

}  // namespace imagefs::service::http
