// HttpClient: imaged's outgoing HTTP/1.1 calls (Keystone token validation,
// web-download and glance-download imports), on Beast's parser over a plain TCP
// socket. http:// only: there is no TLS in imaged.
//
// Every call is bounded: a connect timeout, an inactivity timeout on each read and
// write, a limit on header bytes, and (for Send) on body bytes. Redirects are never
// followed here: a 3xx comes back to the caller, which decides whether to follow
// `Location` (ResolveLocation), so a caller's allow-list applies to every hop.
// `ClientRequest::address_check` vets each resolved address before any connect.
//
// Thread-safe: one client serves concurrent calls. Each call uses its own
// connection, or an idle one from the client's pool when `keep_alive` is on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "service/http/message.h"

namespace imagefs::service::http {

// An http:// URL, split for a request.
struct Url {
  std::string host;    // name or address; an IPv6 address without brackets
  uint16_t port = 80;  // Default: 80
  std::string target;  // "/path?query"; never empty, no fragment

  // "host:port" for the Host header (port omitted when 80; IPv6 bracketed).
  std::string HostHeader() const;
  // "http://" + HostHeader() + target.
  std::string ToString() const;
};

// Parses an absolute http:// URL. InvalidArgument for another scheme, user
// information ("user@host"), an empty host, or a port outside 1..65535.
Result<Url> ParseHttpUrl(std::string_view text);

// The URL a redirect's `Location` value names, relative to `base` (absolute URLs,
// "//host/path", "/path" and "path" forms). InvalidArgument as ParseHttpUrl.
Result<Url> ResolveLocation(const Url& base, std::string_view location);

struct ClientOptions {
  // Longest wait for a TCP connection (per resolved address). Default: 5 s.
  std::chrono::milliseconds connect_timeout{5000};
  // A read or write that makes no progress this long fails. Default: 30 s.
  std::chrono::milliseconds io_timeout{30000};
  // Most bytes in a response's status line and headers. Default: 64 KiB.
  size_t max_header_bytes = size_t{64} * 1024;
  // Most body bytes Send() buffers (ResourceExhausted beyond). Default: 8 MiB.
  size_t max_body_bytes = size_t{8} << 20;
  // Reuse connections the server keeps open. Default: false.
  bool keep_alive = false;
  // Idle connections kept for reuse, all hosts together. Default: 8.
  size_t max_idle_connections = 8;
};

// Vets one resolved address (numeric text, e.g. "127.0.0.1" or "::1") of the host
// being connected to; a non-OK status refuses it (and the call fails with it).
using AddressCheck = std::function<Status(std::string_view address)>;

struct ClientRequest {
  std::string method = "GET";
  Url url;
  HeaderList headers;  // Host, Content-Length and Connection are added
  std::string body;
  AddressCheck address_check;  // optional
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;
  std::string body;

  // The first header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// A response whose body is read as it arrives. Not thread-safe. Destroying it
// before the end of the body closes the connection.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status() const = 0;
  virtual const HeaderList& headers() const = 0;
  // The declared Content-Length; nullopt when chunked or unknown.
  virtual std::optional<uint64_t> content_length() const = 0;
  // Reads up to `n` body bytes; 0 at the end of the body. Unavailable when the
  // connection fails or stalls past the io timeout.
  virtual Result<size_t> Read(void* buf, size_t n) = 0;

  std::optional<std::string_view> Header(std::string_view name) const;
};

class ConnectionPool;  // client.cc: idle kept-alive connections

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and reads the whole response. Errors: Unavailable when the
  // host cannot be resolved or reached, or the connection fails or times out
  // (DeadlineExceeded for a timeout); ResourceExhausted when the header or body is
  // over the limits; whatever `address_check` returns. Any HTTP status is a
  // successful call.
  Result<ClientResponse> Send(const ClientRequest& request);

  // Sends the request and returns once the response header is read; the body
  // streams from the result. Errors as Send. The client must outlive the stream.
  Result<std::unique_ptr<ResponseStream>> Open(const ClientRequest& request);

  const ClientOptions& options() const { return options_; }

 private:
  const ClientOptions options_;
  const std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace imagefs::service::http
