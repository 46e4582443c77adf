// The HTTP request and response as API handlers see them. Handlers never include
// Beast: service/http/ is the only place that does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/range_reader.h"
#include "common/result.h"
#include "service/identity.h"

namespace imagefs::service::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

// The request body, streamed. Not thread-safe; valid only during the handler call.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // True when the request carries a body (Content-Length > 0, or chunked).
  virtual bool present() const = 0;
  // The declared Content-Length; nullopt when chunked or absent.
  virtual std::optional<uint64_t> content_length() const = 0;
  // Reads up to `n` bytes; 0 at the end of the body. Unavailable/Cancelled when the
  // client disconnects or stalls past the read timeout; InvalidArgument on a framing
  // error.
  virtual Result<size_t> Read(void* buf, size_t n) = 0;
  // Reads the whole body; ResourceExhausted (413) if it exceeds `limit` bytes.
  Result<std::string> ReadAll(size_t limit);
};

// How errors of a route are rendered (the APIs differ).
enum class ErrorStyle {
  kGlance,  // {"error": {"message": "...", "code": "404 Not Found", "title": "Not Found"}}
  kNova,    // {"itemNotFound": {"code": 404, "message": "..."}}  (compute, block storage)
};

struct Request {
  std::string method;  // "GET", "PATCH", ... as sent
  std::string target;  // raw request-target, e.g. "/v2/images?limit=2"
  std::string path;    // percent-decoded path, e.g. "/v2/images"
  std::string raw_query;  // undecoded query string without '?', e.g. "limit=2&name=in%3Aa"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  HeaderList headers;
  std::vector<std::string> path_params;  // values of the route's {placeholders}, in order
  std::string request_id;                // "req-<uuid>", also sent back
  Identity identity;                     // set by the auth layer before the handler runs
  std::string base_url;                  // "http://<Host>", for absolute Location headers
  BodyReader* body = nullptr;            // never null inside a handler

  // The first header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The first query parameter with this name, or nullopt.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;  // sent as is, with Content-Length
  // A file body instead of `body`: bytes [file_offset, file_offset+file_length) of
  // `file`, sent with sendfile(2) when file->fd() >= 0.
  std::shared_ptr<RangeReader> file;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;

  Response& SetHeader(std::string name, std::string value);

  static Response Json(int status, std::string body);
  static Response Empty(int status);  // no body, Content-Length: 0
};

// A handler returns a Response, or a non-OK Status that the server renders as an
// error in the route's ErrorStyle (service/http/error_mapping.h).
using Handler = std::function<Result<Response>(Request&)>;

}  // namespace imagefs::service::http
