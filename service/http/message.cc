#include "service/http/message.h"

#include <algorithm>
#include <cstdint>

namespace imagefs::service::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Growth step of ReadAll when the length is unknown (chunked).
constexpr size_t kReadAllStep = size_t{64} * 1024;

}  // namespace

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

Result<std::string> BodyReader::ReadAll(size_t limit) {
  std::optional<uint64_t> declared = content_length();
  if (declared && *declared > limit) {
    return ResourceExhausted("Request body of " + std::to_string(*declared) +
                             " bytes exceeds the limit of " + std::to_string(limit) + " bytes");
  }
  std::string out;
  if (declared) {
    out.reserve(static_cast<size_t>(*declared));
  }
  // Read up to one byte past the limit, so an oversized chunked body is detected.
  const size_t cap = limit == SIZE_MAX ? limit : limit + 1;
  for (;;) {
    size_t want = std::min(kReadAllStep, cap - out.size());
    size_t old_size = out.size();
    out.resize(old_size + want);
    Result<size_t> got = Read(out.data() + old_size, want);
    if (!got.ok()) {
      return got.status();
    }
    out.resize(old_size + *got);
    if (*got == 0) {
      return out;
    }
    if (out.size() > limit) {
      return ResourceExhausted("Request body exceeds the limit of " + std::to_string(limit) +
                               " bytes");
    }
  }
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameEquals(key, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

Response& Response::SetHeader(std::string name, std::string value) {
  for (auto& [key, old_value] : headers) {
    if (HeaderNameEquals(key, name)) {
      old_value = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

Response Response::Empty(int status) {
  Response response;
  response.status = status;
  return response;
}

}  // namespace imagefs::service::http
