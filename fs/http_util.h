// The curl-free parts of talking HTTP to the Images API: status -> Status mapping,
// error bodies, header values, dates, path escaping. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace imagefs::fs {

inline bool IsSuccess(long status) { return status >= 200 && status < 300; }

// 408, 429, 500, 502, 503, 504: worth retrying (the request may succeed later).
bool IsTransientHttp(long status);

// The Status for a non-2xx answer: 400 InvalidArgument, 401 Unauthenticated, 403
// PermissionDenied, 404 NotFound, 409 AlreadyExists, 413 ResourceExhausted,
// 415 UnsupportedMedia, 416 OutOfRange, 5xx/408/429 Unavailable, else Internal.
// The message names `what` and carries the body's "message".
Status FromHttp(long status, const std::string& what, const std::string& body);

// The "message" of an Images API error body, flat (Glance: {"message": ...}) or
// wrapped (imaged: {"error": {"message": ...}}), without Glance's HTML line breaks;
// the body's start when it is neither.
std::string ErrorMessage(const std::string& body);

// The value of header `name` (lower-case, with the colon, e.g. "date:") if the raw
// header line `line` is that header; surrounding blanks and CRLF trimmed.
std::optional<std::string> HeaderValue(std::string_view line, std::string_view name);

// An HTTP-date ("Thu, 27 Nov 2026 02:55:11 GMT") in µs since the epoch.
std::optional<int64_t> ParseHttpDate(const std::string& text);

// True when a Content-Range value ("bytes 100-199/1000") starts at `first`.
bool ContentRangeStartsAt(const std::string& value, uint64_t first);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string EscapePathSegment(const std::string& s);

}  // namespace imagefs::fs
