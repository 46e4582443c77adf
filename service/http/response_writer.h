// Writing one HTTP response to a connection: Beast's serializer for the header and
// in-memory bodies, sendfile(2) for file bodies. Internal to service/http/.
#pragma once

#include <chrono>
#include <cstdint>

#include <boost/system/error_code.hpp>

#include "service/http/message.h"
#include "service/http/socket_io.h"

namespace imagefs::service::http {

// How a response is framed on the wire.
struct ResponseFraming {
  bool head = false;       // answer to HEAD: the header only, with the body's length
  bool keep_alive = true;  // else "Connection: close"
  bool http10 = false;     // HTTP/1.0 client: keep-alive must be announced
};

// Writes `response`: status line, the application's headers (minus the framing
// ones: Content-Length, Transfer-Encoding, Connection; and any with a name or value
// that would break the framing, which are dropped with a warning), Content-Length
// (always; the file range length for file bodies; 0 for 1xx, 204 and 304), the
// Connection header, then the body or file range unless `framing.head`. `response`'s
// body may be moved from. Returns the first I/O error: the connection must then be
// closed (a file that turns out shorter than promised gives asio::error::eof).
// REQUIRES: 100 <= response.status <= 999.
boost::system::error_code WriteResponse(SocketStream& stream, Response& response,
                                        const ResponseFraming& framing);

// True for headers the server frames itself (Content-Length, Transfer-Encoding,
// Connection).
bool IsFramingHeader(std::string_view name);

}  // namespace imagefs::service::http
