// Single byte ranges of GET .../file (spec 1.5.9, Glance's behaviour).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "common/range_reader.h"
#include "common/result.h"
#include "service/http/message.h"

namespace imagefs::service::api {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

// Parses a `Range` header value (or, when `legacy` is true, a request
// `Content-Range: bytes a-b/*` value) against an object of `size` bytes.
// Returns nullopt for "whole object". Errors: InvalidArgument (400) for several
// ranges; OutOfRange (416) for a malformed header, another unit, or a start at or
// past the end.
Result<std::optional<ByteRange>> ParseRange(std::string_view value, uint64_t size, bool legacy);

// The range a GET asked for: a header value, parsed as ParseRange's `legacy` says.
struct RangeRequest {
  std::string_view value;
  bool legacy = false;
};

// The response to a GET of all of `reader`'s bytes, or of the single range in
// `range` (nullopt: none asked for): 200, or 206 with Content-Range, both with
// Accept-Ranges and, when `md5` is set, Content-MD5. A range ParseRange refuses
// becomes an error response in `style`; a 416 also carries "Content-Range: bytes */size".
http::Response RangedFileResponse(std::shared_ptr<RangeReader> reader,
                                  std::optional<RangeRequest> range,
                                  std::optional<std::string_view> md5, http::ErrorStyle style);

}  // namespace imagefs::service::api
