// Reading one HTTP request off a connection: a Beast parser that fills our Request
// directly, and the BodyReader handlers stream the body from. Internal to
// service/http/; the only Beast parsing code of the project.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include "service/http/message.h"
#include "service/http/socket_io.h"

namespace imagefs::service::http {

// RequestParser: a Beast request parser that writes the request line and header
// fields straight into a Request (no intermediate Beast fields container, and the
// Request's string capacity is reused across requests of a connection), and hands
// body bytes to the buffer given to SetBodySink(). Trailer fields are ignored.
// One parser per request (Beast parsers are single-use).
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `request` must outlive the parser; its method, target, path, raw_query, query and
  // headers are overwritten as the header arrives.
  RequestParser(Request& request, size_t max_header_bytes);

  // Body bytes parsed next go to [dst, dst + capacity); body_bytes() counts them.
  void SetBodySink(char* dst, size_t capacity) {
    sink_ = dst;
    sink_capacity_ = capacity;
    sink_used_ = 0;
  }
  size_t body_bytes() const { return sink_used_; }
  // Bytes of the current chunk not yet delivered (chunked bodies); 0 between chunks.
  uint64_t chunk_remaining() const { return chunk_remaining_; }

  // 10 for HTTP/1.0, 11 for HTTP/1.1. Valid once the request line is parsed.
  int http_version() const { return version_; }
  // The client sent "Expect: 100-continue".
  bool expects_continue() const { return expects_continue_; }
  // The client sent a Transfer-Encoding other than "chunked" (answered with 501).
  bool unsupported_encoding() const { return unsupported_encoding_; }

 private:
  using ErrorCode = boost::beast::error_code;
  using StringView = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb method, StringView method_str, StringView target,
                       int version, ErrorCode& ec) override;
  void on_response_impl(int code, StringView reason, int version, ErrorCode& ec) override;
  void on_field_impl(boost::beast::http::field name, StringView name_string, StringView value,
                     ErrorCode& ec) override;
  void on_header_impl(ErrorCode& ec) override;
  void on_body_init_impl(const boost::optional<uint64_t>& content_length, ErrorCode& ec) override;
  size_t on_body_impl(StringView body, ErrorCode& ec) override;
  void on_chunk_header_impl(uint64_t size, StringView extensions, ErrorCode& ec) override;
  size_t on_chunk_body_impl(uint64_t remain, StringView body, ErrorCode& ec) override;
  void on_finish_impl(ErrorCode& ec) override;

  // Copies what fits of `body` into the sink (nothing to copy when `body` already
  // lies there); need_buffer when the sink is full.
  size_t Deliver(StringView body, ErrorCode& ec);

  Request& request_;
  size_t header_count_ = 0;
  bool header_done_ = false;
  int version_ = 11;
  bool expects_continue_ = false;
  bool unsupported_encoding_ = false;
  char* sink_ = nullptr;
  size_t sink_capacity_ = 0;
  size_t sink_used_ = 0;
  uint64_t chunk_remaining_ = 0;
};

// Options of a RequestBody.
struct RequestBodyOptions {
  std::chrono::milliseconds io_timeout{60000};
  bool http11 = true;  // may send "100 Continue"
};

// RequestBody: the BodyReader of one request, over the connection's stream and
// read buffer, positioned just after the header. Content-Length bodies bypass the
// parser: bytes already buffered are copied out, the rest is read from the socket
// straight into the caller's buffer. Chunked bodies go through the parser; in the
// middle of a chunk with nothing buffered, the chunk's bytes are read straight into
// the caller's buffer too and the parser is run over them in place. Sends "100 Continue" before the
// first read when the client asked for it. Errors: Cancelled when the client disconnects,
// Unavailable when it stalls past io_timeout, InvalidArgument on a framing error; after an error
// every Read fails the same way and the connection must be closed.
class RequestBody final : public BodyReader {
 public:
  // REQUIRES: parser.is_header_done().
  RequestBody(SocketStream& stream, boost::beast::flat_buffer& buffer, RequestParser& parser,
              const RequestBodyOptions& options);

  // BodyReader
  bool present() const override { return present_; }
  std::optional<uint64_t> content_length() const override { return content_length_; }
  Result<size_t> Read(void* buf, size_t n) override;

  // After the handler: reads and discards what is left of the body, at most
  // `max_bytes` and until `deadline`. True when the body is then fully consumed and
  // the connection can carry another request. Does not wait for a body the client
  // holds back until "100 Continue".
  bool Drain(uint64_t max_bytes, SocketStream::TimePoint deadline);

  // The body has been read to its end.
  bool complete() const { return complete_; }
  // A read failed: the connection is unusable.
  bool failed() const { return !error_.ok(); }

 private:
  Result<size_t> ReadFixed(char* buf, size_t n);
  Result<size_t> ReadChunked(char* buf, size_t n);
  // ReadChunked() in the middle of a chunk with nothing buffered.
  Result<size_t> ReadChunkInPlace(char* buf, size_t n);
  Status SendContinue();
  // Records and returns the Status for a failed read.
  Status Fail(const boost::beast::error_code& ec);

  SocketStream& stream_;
  boost::beast::flat_buffer& buffer_;
  RequestParser& parser_;
  RequestBodyOptions options_;
  bool present_ = false;
  bool chunked_ = false;
  std::optional<uint64_t> content_length_;
  uint64_t remaining_ = 0;  // Content-Length framing: bytes still to read
  bool complete_ = false;
  bool continue_pending_ = false;  // the client waits for "100 Continue"
  Status error_;
};

}  // namespace imagefs::service::http
