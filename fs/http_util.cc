#include "fs/http_util.h"

#include <strings.h>
#include <time.h>

#include <cctype>

#include "common/wire/image_codec.h"

namespace imagefs::fs {

bool IsTransientHttp(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

std::string ErrorMessage(const std::string& body) {
  auto v = wire::ParseJson(body);
  std::string m;
  const boost::json::object* o = v.ok() && v->is_object() ? &v->get_object() : nullptr;
  // imaged (and Keystone) wrap the fields: {"error": {"message": ...}}; Glance does not.
  if (o != nullptr && o->size() == 1 && o->begin()->value().is_object()) {
    o = &o->begin()->value().get_object();
  }
  if (o != nullptr) {
    auto it = o->find("message");
    if (it != o->end() && it->value().is_string()) m = it->value().get_string();
  }
  if (m.empty()) m = body.substr(0, 200);
  for (size_t p; (p = m.find("<br />")) != std::string::npos;) m.replace(p, 6, " ");
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.back()))) m.pop_back();
  return m;
}

Status FromHttp(long status, const std::string& what, const std::string& body) {
  std::string m = what + ": HTTP " + std::to_string(status) + ": " + ErrorMessage(body);
  switch (status) {
    case 400:
      return InvalidArgument(m);
    case 401:
      return Unauthenticated(m);
    case 403:
      return PermissionDenied(m);
    case 404:
      return NotFound(m);
    case 409:
      return AlreadyExists(m);
    case 413:
      return ResourceExhausted(m);
    case 415:
      return UnsupportedMedia(m);
    case 416:
      return OutOfRange(m);
    default:
      break;
  }
  if (status >= 500 || status == 429 || status == 408) return Unavailable(m);
  return Internal(m);
}

std::optional<std::string> HeaderValue(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || strncasecmp(line.data(), name.data(), name.size()) != 0) {
    return std::nullopt;
  }
  std::string_view v = line.substr(name.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
    v.remove_suffix(1);
  }
  return std::string(v);
}

std::optional<int64_t> ParseHttpDate(const std::string& text) {
  struct tm tm {};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000;
}

bool ContentRangeStartsAt(const std::string& value, uint64_t first) {
  std::string prefix = "bytes " + std::to_string(first) + "-";
  return value.compare(0, prefix.size(), prefix) == 0;
}

std::string EscapePathSegment(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace imagefs::fs
