// Single byte ranges of GET .../file (spec 1.5.9, Glance's behaviour).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"

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

}  // namespace imagefs::service::api
