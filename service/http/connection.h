// One HTTP/1.1 connection served on the calling thread. Internal to service/http/.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "service/http/server.h"

namespace imagefs::service::http {

// What a connection needs from its server. All members outlive every connection.
struct ConnectionContext {
  const ServerOptions* options = nullptr;
  const Application* app = nullptr;
  // Readable once the server stops: idle connections close at once.
  int stop_fd = -1;
  const std::atomic<bool>* stopping = nullptr;
  std::atomic<uint64_t>* requests_served = nullptr;
  // "host:port" for Request::base_url when a request has no Host header.
  std::string default_host;
};

// Serves requests on the connected non-blocking socket `fd` until the client closes,
// asks to close, times out, breaks the protocol, or the server stops. Never throws:
// an exception is logged once and closes the connection. Does not close `fd` (the
// caller does), but may shut it down.
void ServeConnection(int fd, const ConnectionContext& context) noexcept;

}  // namespace imagefs::service::http
