#include "service/http/connection.h"

#include <algorithm>
#include <exception>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <sys/socket.h>

#include "common/log.h"
#include "common/uuid.h"
#include "service/http/error_mapping.h"
#include "service/http/request_reader.h"
#include "service/http/response_writer.h"
#include "service/http/socket_io.h"

namespace imagefs::service::http {
namespace {

namespace beast_http = boost::beast::http;
using ErrorCode = boost::system::error_code;
using TimePoint = SocketStream::TimePoint;
using std::chrono::steady_clock;

// An unread request body up to this size is read and discarded so the connection
// can be kept alive; a longer one closes the connection.
constexpr uint64_t kMaxDrainBytes = 1 << 20;
// Longest wait for those bytes.
constexpr std::chrono::milliseconds kMaxDrainTime{1000};
// After answering a request whose body was not read, the connection is half-closed
// and input discarded this long, so the client reads the answer instead of a reset.
constexpr std::chrono::milliseconds kLingerTime{1000};
// Initial read buffer per connection; it grows for larger headers.
constexpr size_t kInitialBuffer = size_t{8} * 1024;

bool IsHttpParseError(const ErrorCode& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::need_more).category();
}

// True when the application set "Connection: close".
bool AsksToClose(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (HeaderNameEquals(name, "Connection") && HeaderNameEquals(value, "close")) {
      return true;
    }
  }
  return false;
}

class Connection {
 public:
  Connection(int fd, const ConnectionContext& context)
      : fd_(fd), context_(context), options_(*context.options), stream_(fd) {
    stream_.set_io_timeout(options_.io_timeout);
  }

  // Serves requests until the connection should close.
  void Serve() {
    buffer_.reserve(kInitialBuffer);
    for (bool first = true; AwaitRequest(first); first = false) {
      if (!ServeRequest()) {
        return;
      }
    }
  }

 private:
  // Waits for the first byte of the next request: header_timeout for the first
  // request of the connection, idle_timeout later. False: close.
  bool AwaitRequest(bool first);
  // Reads one request, runs the application and answers. False: close.
  bool ServeRequest();
  // Answers an unreadable request header where the protocol allows. Returns false.
  bool OnHeaderError(const ErrorCode& ec, bool got_some);
  // Fills what the parser does not: request id, base URL, identity, path params.
  void PrepareRequest();
  // Whether the connection can carry another request after `response`. Drains what
  // the handler left of a short body.
  bool KeepAlive(const RequestParser& parser, const Response& response, RequestBody& body);
  // Calls the application; an exception becomes a 500 and sets `*failed`.
  Response RunApplication(bool* failed);
  // Sends a server-generated error with "Connection: close". Returns false.
  bool Refuse(int status, std::string_view message, bool linger);
  // Half-closes and discards input for a while (see kLingerTime).
  void LingeringClose();

  const int fd_;
  const ConnectionContext& context_;
  const ServerOptions& options_;
  SocketStream stream_;
  boost::beast::flat_buffer buffer_;
  Request request_;  // reused across requests to keep string capacity
  TimePoint header_deadline_;
};

bool Connection::AwaitRequest(bool first) {
  if (context_.stopping->load(std::memory_order_relaxed)) {
    return false;
  }
  TimePoint now = steady_clock::now();
  if (buffer_.size() > 0) {  // a pipelined request is already here
    header_deadline_ = now + options_.header_timeout;
    return true;
  }
  TimePoint wait_until = now + (first ? options_.header_timeout : options_.idle_timeout);
  if (stream_.WaitReadable(wait_until, context_.stop_fd) != SocketStream::Wait::kReadable) {
    return false;
  }
  header_deadline_ = first ? wait_until : steady_clock::now() + options_.header_timeout;
  return true;
}

bool Connection::ServeRequest() {
  RequestParser parser(request_, options_.max_header_bytes);
  ErrorCode ec;
  stream_.set_deadline(header_deadline_);
  beast_http::read_header(stream_, buffer_, parser, ec);
  stream_.set_deadline(TimePoint::max());
  if (ec) {
    return OnHeaderError(ec, parser.got_some() || buffer_.size() > 0);
  }
  if (parser.unsupported_encoding()) {
    return Refuse(501, "Transfer-Encoding other than chunked is not supported.", true);
  }
  PrepareRequest();
  const bool http11 = parser.http_version() >= 11;
  const bool head = request_.method == "HEAD";  // before the application may rewrite it
  RequestBody body(stream_, buffer_, parser, {options_.io_timeout, http11});
  request_.body = &body;
  bool app_failed = false;
  Response response = RunApplication(&app_failed);
  request_.body = nullptr;
  const bool keep_alive = !app_failed && KeepAlive(parser, response, body);
  const ResponseFraming framing{head, keep_alive, !http11};
  stream_.set_io_timeout(options_.io_timeout);
  context_.requests_served->fetch_add(1, std::memory_order_relaxed);
  ec = WriteResponse(stream_, response, framing);
  if (ec) {
    IMAGEFS_LOG(DEBUG, "{} {}: writing the response failed: {}", request_.method, request_.path,
                ec.message());
    return false;
  }
  if (!keep_alive && !body.complete() && !body.failed()) {
    LingeringClose();
  }
  return keep_alive;
}

bool Connection::KeepAlive(const RequestParser& parser, const Response& response,
                           RequestBody& body) {
  if (!parser.keep_alive() || AsksToClose(response) ||
      context_.stopping->load(std::memory_order_relaxed)) {
    return false;
  }
  return body.Drain(kMaxDrainBytes,
                    steady_clock::now() + std::min(options_.io_timeout, kMaxDrainTime));
}

bool Connection::OnHeaderError(const ErrorCode& ec, bool got_some) {
  if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message) {
    return false;  // the client closed
  }
  if (ec == boost::asio::error::timed_out) {
    // Nothing sent at all: close quietly, as for an idle connection.
    return got_some ? Refuse(408, "The request header did not arrive in time.", false) : false;
  }
  if (ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow) {
    return Refuse(431, "The request header is too large.", true);
  }
  if (IsHttpParseError(ec)) {
    return Refuse(400, "Malformed request: " + ec.message() + ".", true);
  }
  IMAGEFS_LOG(DEBUG, "reading a request header failed: {}", ec.message());
  return false;
}

void Connection::PrepareRequest() {
  request_.path_params.clear();
  request_.request_id.assign("req-").append(NewUuid());
  request_.identity = Identity{};
  request_.base_url.assign("http://");
  std::optional<std::string_view> host = request_.Header("Host");
  request_.base_url.append(host && !host->empty() ? *host : context_.default_host);
}

Response Connection::RunApplication(bool* failed) {
  try {
    Response response = (*context_.app)(request_);
    if (response.status >= 200 && response.status <= 999) {
      return response;
    }
    IMAGEFS_LOG(ERROR, "{} {}: the application answered status {}", request_.method, request_.path,
                response.status);
  } catch (const std::exception& e) {
    IMAGEFS_LOG(ERROR, "{} {}: the application threw: {}", request_.method, request_.path,
                e.what());
  } catch (...) {
    IMAGEFS_LOG(ERROR, "{} {}: the application threw a non-exception", request_.method,
                request_.path);
  }
  *failed = true;
  return ErrorResponse(500,
                       "The server has either erred or is incapable of performing the "
                       "requested operation.");
}

bool Connection::Refuse(int status, std::string_view message, bool linger) {
  Response response = ErrorResponse(status, message);
  stream_.set_io_timeout(options_.io_timeout);
  ErrorCode ec = WriteResponse(stream_, response, ResponseFraming{false, false, false});
  if (!ec && linger) {
    LingeringClose();
  }
  return false;
}

void Connection::LingeringClose() {
  ::shutdown(fd_, SHUT_WR);
  stream_.set_deadline(steady_clock::now() + kLingerTime);
  char scratch[16 * 1024];
  ErrorCode ec;
  while (!ec) {
    stream_.ReadSome(scratch, sizeof(scratch), ec);
  }
  stream_.set_deadline(TimePoint::max());
}

}  // namespace

void ServeConnection(int fd, const ConnectionContext& context) noexcept {
  try {
    Connection connection(fd, context);
    connection.Serve();
  } catch (const std::exception& e) {
    IMAGEFS_LOG(ERROR, "connection closed after an unexpected exception: {}", e.what());
  } catch (...) {
    IMAGEFS_LOG(ERROR, "connection closed after an unexpected non-exception");
  }
}

}  // namespace imagefs::service::http
