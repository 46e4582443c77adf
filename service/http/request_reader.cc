#include "service/http/request_reader.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "service/http/url_codec.h"

namespace imagefs::service::http {
namespace {

namespace beast_http = boost::beast::http;

// Chunked bodies are read through the connection buffer in pieces up to this size.
constexpr size_t kChunkedReadBuffer = size_t{64} * 1024;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool AsciiIEquals(std::string_view a, std::string_view b) { return HeaderNameEquals(a, b); }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// True when every coding in a Transfer-Encoding list is "chunked" (all we support).
bool OnlyChunked(std::string_view list) {
  for (;;) {
    size_t comma = list.find(',');
    std::string_view coding = TrimOws(list.substr(0, comma));
    if (!coding.empty() && !AsciiIEquals(coding, "chunked")) {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    list.remove_prefix(comma + 1);
  }
}

bool IsHttpParseError(const boost::beast::error_code& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::need_more).category();
}

}  // namespace

RequestParser::RequestParser(Request& request, size_t max_header_bytes) : request_(request) {
  header_limit(static_cast<uint32_t>(std::min<size_t>(max_header_bytes, UINT32_MAX)));
  body_limit(boost::none);  // streamed bodies are bounded by their handlers
}

void RequestParser::on_request_impl(beast_http::verb /*method*/, StringView method_str,
                                    StringView target, int version, ErrorCode& /*ec*/) {
  version_ = version;
  request_.method.assign(method_str.data(), method_str.size());
  request_.target.assign(target.data(), target.size());
  TargetParts parts = SplitTarget(request_.target);
  request_.path.clear();
  PercentDecodeAppend(parts.path, /*plus_as_space=*/false, &request_.path);
  request_.raw_query.assign(parts.query);
  ParseQuery(parts.query, &request_.query);
}

void RequestParser::on_response_impl(int /*code*/, StringView /*reason*/, int /*version*/,
                                     ErrorCode& ec) {
  ec = beast_http::error::bad_version;  // unreachable: this is a request parser
}

void RequestParser::on_field_impl(beast_http::field name, StringView name_string, StringView value,
                                  ErrorCode& /*ec*/) {
  if (header_done_) {
    return;  // a trailer field: the handler is already running
  }
  if (header_count_ == request_.headers.size()) {
    request_.headers.emplace_back();
  }
  auto& [key, val] = request_.headers[header_count_++];
  key.assign(name_string.data(), name_string.size());
  val.assign(value.data(), value.size());
  if (name == beast_http::field::expect && AsciiIEquals(TrimOws(val), "100-continue")) {
    expects_continue_ = true;
  } else if (name == beast_http::field::transfer_encoding && !OnlyChunked(val)) {
    unsupported_encoding_ = true;
  }
}

void RequestParser::on_header_impl(ErrorCode& /*ec*/) {
  header_done_ = true;
  request_.headers.resize(header_count_);
}

void RequestParser::on_body_init_impl(const boost::optional<uint64_t>& /*content_length*/,
                                      ErrorCode& /*ec*/) {}

size_t RequestParser::on_body_impl(StringView body, ErrorCode& ec) { return Deliver(body, ec); }

void RequestParser::on_chunk_header_impl(uint64_t size, StringView /*extensions*/,
                                         ErrorCode& /*ec*/) {
  chunk_remaining_ = size;
}

size_t RequestParser::on_chunk_body_impl(uint64_t /*remain*/, StringView body, ErrorCode& ec) {
  size_t n = Deliver(body, ec);
  chunk_remaining_ -= n;
  return n;
}

void RequestParser::on_finish_impl(ErrorCode& /*ec*/) {}

size_t RequestParser::Deliver(StringView body, ErrorCode& ec) {
  size_t room = sink_capacity_ - sink_used_;
  if (room == 0) {
    ec = beast_http::error::need_buffer;  // as buffer_body: stop until the next Read
    return 0;
  }
  size_t n = std::min(room, body.size());
  if (body.data() != sink_ + sink_used_) {
    std::memcpy(sink_ + sink_used_, body.data(), n);
  }
  sink_used_ += n;
  return n;
}

RequestBody::RequestBody(SocketStream& stream, boost::beast::flat_buffer& buffer,
                         RequestParser& parser, const RequestBodyOptions& options)
    : stream_(stream), buffer_(buffer), parser_(parser), options_(options) {
  if (parser.chunked()) {
    present_ = true;
    chunked_ = true;
    parser_.eager(true);  // run through chunk headers until body bytes or the end
    buffer_.reserve(kChunkedReadBuffer);
  } else if (boost::optional<uint64_t> length = parser.content_length(); length) {
    content_length_ = *length;
    remaining_ = *length;
    present_ = *length > 0;
  }
  complete_ = !present_;
  continue_pending_ = present_ && options_.http11 && parser.expects_continue();
}

Result<size_t> RequestBody::Read(void* buf, size_t n) {
  if (failed()) {
    return error_;
  }
  if (complete_ || n == 0) {
    return size_t{0};
  }
  if (continue_pending_) {
    IMAGEFS_RETURN_IF_ERROR(SendContinue());
  }
  stream_.set_io_timeout(options_.io_timeout);
  char* out = static_cast<char*>(buf);
  return chunked_ ? ReadChunked(out, n) : ReadFixed(out, n);
}

Result<size_t> RequestBody::ReadFixed(char* buf, size_t n) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(n, remaining_));
  size_t got = 0;
  if (buffer_.size() > 0) {
    // Bytes that arrived with the header.
    got = std::min(want, buffer_.size());
    std::memcpy(buf, buffer_.data().data(), got);
    buffer_.consume(got);
  } else {
    boost::beast::error_code ec;
    got = stream_.ReadSome(buf, want, ec);
    if (ec) {
      return Fail(ec);
    }
  }
  remaining_ -= got;
  complete_ = remaining_ == 0;
  return got;
}

Result<size_t> RequestBody::ReadChunked(char* buf, size_t n) {
  parser_.SetBodySink(buf, n);
  if (buffer_.size() == 0 && parser_.chunk_remaining() > 0) {
    return ReadChunkInPlace(buf, n);
  }
  for (;;) {
    boost::beast::error_code ec;
    beast_http::read_some(stream_, buffer_, parser_, ec);
    if (ec == beast_http::error::need_buffer) {
      ec = {};  // the caller's buffer is full
    }
    if (ec) {
      return Fail(ec);
    }
    complete_ = parser_.is_done();
    if (parser_.body_bytes() > 0 || complete_) {
      return parser_.body_bytes();
    }
  }
}

Result<size_t> RequestBody::ReadChunkInPlace(char* buf, size_t n) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(n, parser_.chunk_remaining()));
  boost::beast::error_code ec;
  size_t got = stream_.ReadSome(buf, want, ec);
  if (!ec) {
    // Only chunk data was read, so the parser just accounts for it (no copy).
    parser_.put(boost::asio::const_buffer(buf, got), ec);
  }
  if (ec) {
    return Fail(ec);
  }
  return parser_.body_bytes();
}

Status RequestBody::SendContinue() {
  continue_pending_ = false;
  stream_.set_io_timeout(options_.io_timeout);
  boost::beast::error_code ec;
  stream_.WriteAll(kContinue.data(), kContinue.size(), ec);
  return ec ? Fail(ec) : Status::Ok();
}

Status RequestBody::Fail(const boost::beast::error_code& ec) {
  if (ec == boost::asio::error::timed_out) {
    error_ = Unavailable("request body: no data from the client for " +
                         std::to_string(options_.io_timeout.count()) + " ms");
  } else if (IsHttpParseError(ec) && ec != beast_http::error::partial_message) {
    error_ = InvalidArgument("malformed request body: " + ec.message());
  } else {
    // EOF, reset, broken pipe: the client went away.
    error_ = Cancelled("client disconnected during the request body: " + ec.message());
  }
  return error_;
}

bool RequestBody::Drain(uint64_t max_bytes, SocketStream::TimePoint deadline) {
  if (complete_) {
    return true;
  }
  if (failed() || continue_pending_ || (!chunked_ && remaining_ > max_bytes)) {
    return false;
  }
  stream_.set_deadline(deadline);
  char scratch[16 * 1024];
  uint64_t drained = 0;
  while (!complete_ && drained <= max_bytes) {
    Result<size_t> got = Read(scratch, sizeof(scratch));
    if (!got.ok()) {
      break;
    }
    drained += *got;
  }
  stream_.set_deadline(SocketStream::TimePoint::max());
  return complete_;
}

}  // namespace imagefs::service::http
