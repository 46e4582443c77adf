#include "service/api/range.h"

#include <charconv>
#include <string>
#include <utility>

#include "service/http/error_mapping.h"

namespace imagefs::service::api {
namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Status Invalid() { return OutOfRange("The Range requested is not available: Invalid Range header."); }

}  // namespace

Result<std::optional<ByteRange>> ParseRange(std::string_view value, uint64_t size, bool legacy) {
  value = Trim(value);
  std::string_view spec;
  if (legacy) {
    if (value.substr(0, 6) != "bytes ") return Invalid();
    spec = value.substr(6);
    size_t slash = spec.find('/');
    if (slash == std::string_view::npos) return Invalid();
    spec = spec.substr(0, slash);
  } else {
    if (value.substr(0, 6) != "bytes=") return Invalid();
    spec = value.substr(6);
    if (spec.find(',') != std::string_view::npos) {
      return InvalidArgument(
          "Requests with multiple ranges are not supported. You may make multiple "
          "single-range requests instead.");
    }
  }
  spec = Trim(spec);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return Invalid();
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange r;
  if (a.empty()) {  // suffix: the last n bytes
    uint64_t n = 0;
    if (!ParseU64(b, &n) || n == 0 || size == 0) return Invalid();
    r.first = n >= size ? 0 : size - n;
    r.last = size - 1;
    return std::optional<ByteRange>(r);
  }
  if (!ParseU64(a, &r.first)) return Invalid();
  if (b.empty()) {
    r.last = size == 0 ? 0 : size - 1;
  } else if (!ParseU64(b, &r.last) || r.last < r.first) {
    return Invalid();
  }
  if (r.first >= size) {
    return OutOfRange("The Range requested is not available: Invalid start position in Range "
                      "header. Start position MUST be in the inclusive range [0, " +
                      std::to_string(size == 0 ? 0 : size - 1) + "].");
  }
  if (r.last >= size) r.last = size - 1;
  return std::optional<ByteRange>(r);
}

http::Response RangedFileResponse(std::shared_ptr<RangeReader> reader,
                                  std::optional<RangeRequest> range,
                                  std::optional<std::string_view> md5, http::ErrorStyle style) {
  uint64_t size = reader->size();
  std::optional<ByteRange> parsed_range;
  if (range) {
    Result<std::optional<ByteRange>> parsed = ParseRange(range->value, size, range->legacy);
    if (!parsed.ok()) {
      http::Response err = http::ErrorResponse(parsed.status(), style);
      if (parsed.status().code() == StatusCode::kOutOfRange) {
        err.SetHeader("Content-Range", "bytes */" + std::to_string(size));
      }
      return err;
    }
    parsed_range = *parsed;
  }
  http::Response resp;
  resp.status = parsed_range ? 206 : 200;
  resp.SetHeader("Content-Type", "application/octet-stream");
  resp.SetHeader("Accept-Ranges", "bytes");
  if (md5) resp.SetHeader("Content-MD5", std::string(*md5));
  resp.file = std::move(reader);
  resp.file_offset = parsed_range ? parsed_range->first : 0;
  resp.file_length = parsed_range ? parsed_range->length() : size;
  if (parsed_range) {
    resp.SetHeader("Content-Range", "bytes " + std::to_string(parsed_range->first) + "-" +
                                        std::to_string(parsed_range->last) + "/" +
                                        std::to_string(size));
  }
  return resp;
}

}  // namespace imagefs::service::api
