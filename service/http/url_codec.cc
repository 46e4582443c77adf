#include "service/http/url_codec.h"

#include "common/hex.h"

namespace imagefs::service::http {

void PercentDecodeAppend(std::string_view in, bool plus_as_space, std::string* out) {
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexDigitValue(in[i + 1]);
      int lo = HexDigitValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out->push_back(plus_as_space && c == '+' ? ' ' : c);
  }
}

TargetParts SplitTarget(std::string_view target) {
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (!target.empty() && target.front() != '/') {
    // Absolute-form: drop "scheme://authority". Anything else ("*") is kept whole.
    size_t scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      size_t path_start = target.find_first_of("/?", scheme_end + 3);
      target =
          path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
    }
  }
  TargetParts parts;
  size_t q = target.find('?');
  parts.path = target.substr(0, q);
  if (q != std::string_view::npos) {
    parts.query = target.substr(q + 1);
  }
  if (parts.path.empty()) {
    parts.path = "/";
  }
  return parts;
}

void ParseQuery(std::string_view query, std::vector<std::pair<std::string, std::string>>* out) {
  size_t count = 0;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) {
      continue;
    }
    if (count == out->size()) {
      out->emplace_back();
    }
    auto& [name, value] = (*out)[count++];
    name.clear();
    value.clear();
    size_t eq = piece.find('=');
    PercentDecodeAppend(piece.substr(0, eq), /*plus_as_space=*/true, &name);
    if (eq != std::string_view::npos) {
      PercentDecodeAppend(piece.substr(eq + 1), /*plus_as_space=*/true, &value);
    }
  }
  out->resize(count);
}

}  // namespace imagefs::service::http
