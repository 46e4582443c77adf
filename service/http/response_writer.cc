#include "service/http/response_writer.h"

#include <algorithm>
#include <memory>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "common/log.h"
#include "service/http/error_mapping.h"

namespace imagefs::service::http {
namespace {

namespace beast_http = boost::beast::http;
using ErrorCode = boost::system::error_code;

// Chunk size when a file body has no descriptor and is copied through ReadAt.
constexpr size_t kCopyChunk = 1 << 20;

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header the application may send: a token name and a value without CR, LF or NUL.
bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

template <class Body>
void FillHeader(const Response& response, uint64_t content_length, const ResponseFraming& framing,
                beast_http::response<Body>& message) {
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  if (beast_http::int_to_status(static_cast<unsigned>(response.status)) ==
      beast_http::status::unknown) {
    message.reason(ReasonPhrase(response.status));
  }
  for (const auto& [name, value] : response.headers) {
    if (IsFramingHeader(name)) {
      continue;
    }
    if (!IsSafeHeader(name, value)) {
      IMAGEFS_LOG(WARN, "dropping response header {:?} with a forbidden character", name);
      continue;
    }
    message.insert(name, value);
  }
  message.content_length(content_length);
  if (!framing.keep_alive) {
    message.set(beast_http::field::connection, "close");
  } else if (framing.http10) {
    message.set(beast_http::field::connection, "keep-alive");
  }
}

// Copies the file range through a buffer, for readers without a descriptor.
ErrorCode CopyFileRange(SocketStream& stream, RangeReader& file, uint64_t offset, uint64_t length) {
  auto buffer =
      std::make_unique<char[]>(static_cast<size_t>(std::min<uint64_t>(length, kCopyChunk)));
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, kCopyChunk));
    Result<size_t> got = file.ReadAt(offset, buffer.get(), want);
    if (!got.ok() || *got == 0) {
      if (!got.ok()) {
        IMAGEFS_LOG(WARN, "response file read at {} failed: {}", offset, got.status().ToString());
      }
      return boost::asio::error::eof;  // cannot keep the Content-Length promise
    }
    ErrorCode ec;
    stream.WriteAll(buffer.get(), *got, ec);
    if (ec) {
      return ec;
    }
    offset += *got;
    length -= *got;
  }
  return {};
}

ErrorCode WriteFileResponse(SocketStream& stream, Response& response,
                            const ResponseFraming& framing) {
  beast_http::response<beast_http::empty_body> message;
  FillHeader(response, response.file_length, framing, message);
  const bool send_body = !framing.head && response.file_length > 0;
  ErrorCode ec;
  stream.set_more(send_body);
  beast_http::write(stream, message, ec);
  stream.set_more(false);
  if (ec || !send_body) {
    return ec;
  }
  RangeReader& file = *response.file;
  if (file.fd() >= 0) {
    stream.SendFile(file.fd(), response.file_offset, response.file_length, ec);
    if (ec != boost::asio::error::operation_not_supported) {
      return ec;
    }
  }
  return CopyFileRange(stream, file, response.file_offset, response.file_length);
}

}  // namespace

bool IsFramingHeader(std::string_view name) {
  return HeaderNameEquals(name, "Content-Length") || HeaderNameEquals(name, "Transfer-Encoding") ||
         HeaderNameEquals(name, "Connection");
}

ErrorCode WriteResponse(SocketStream& stream, Response& response, const ResponseFraming& framing) {
  if (StatusHasNoBody(response.status)) {
    response.body.clear();
    response.file.reset();
  }
  if (response.file != nullptr) {
    return WriteFileResponse(stream, response, framing);
  }
  ErrorCode ec;
  if (framing.head) {
    beast_http::response<beast_http::empty_body> message;
    FillHeader(response, response.body.size(), framing, message);
    beast_http::write(stream, message, ec);
    return ec;
  }
  beast_http::response<beast_http::string_body> message;
  FillHeader(response, response.body.size(), framing, message);
  message.body() = std::move(response.body);
  beast_http::write(stream, message, ec);
  return ec;
}

}  // namespace imagefs::service::http
