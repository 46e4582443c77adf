// Server: HTTP/1.1 with keep-alive on Boost.Beast/Asio.
//
// Threading model: one acceptor thread; each connection is served by a pooled worker
// thread that reads a request, runs the application, writes the response and loops
// while the client keeps the connection alive. Idle keep-alive connections wait in
// poll(2) with the idle timeout. The pool is bounded by max_connections: when every
// slot is taken, new connections get 503 and are closed. A connection-per-thread
// model keeps handlers plain blocking code (uploads stream from the socket into the
// store; downloads use sendfile) and costs no thread hand-off per request.
//
// Limits: header bytes, JSON body bytes (streamed bodies are bounded by the
// handler), idle time between requests, time to receive a request header, and
// per-read/per-write inactivity timeouts. A violation answers 400/408/413/431 with a
// JSON body where the protocol still allows a response, then closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "service/http/message.h"

namespace imagefs::service::http {

struct ServerOptions {
  // "HOST:PORT"; port 0 picks a free port (see Server::port()). Default: 127.0.0.1:9292.
  std::string listen = "127.0.0.1:9292";
  // Most simultaneous connections (and worker threads). Default: 512.
  size_t max_connections = 512;
  // Most bytes in a request line plus headers. Default: 16 KiB.
  size_t max_header_bytes = 16 * 1024;
  // Close a keep-alive connection idle this long. Default: 60 s.
  std::chrono::milliseconds idle_timeout{60000};
  // Whole request header must arrive within this. Default: 30 s.
  std::chrono::milliseconds header_timeout{30000};
  // A body read or a response write that makes no progress this long fails. Default: 60 s.
  std::chrono::milliseconds io_timeout{60000};
};

// The application: called once per request on a worker thread. It must always
// produce a response (errors included); the server adds Content-Length, Date-free
// framing and Connection handling. `req.body` streams the request body; whatever the
// application leaves unread is drained (bounded) or the connection is closed.
using Application = std::function<Response(Request& req)>;

class Server {
 public:
  // Binds and listens; InvalidArgument for a bad address, Unavailable when the port
  // is taken.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Application app);

  virtual ~Server() = default;

  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;

  // Stops accepting, closes idle connections, waits for in-flight requests to finish
  // (up to `grace`), then closes the rest. Idempotent; the destructor calls it.
  virtual void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5)) = 0;

  // Counters for tests and logs.
  virtual uint64_t requests_served() const = 0;
  virtual size_t open_connections() const = 0;
};

}  // namespace imagefs::service::http
