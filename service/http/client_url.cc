// URL handling of the HTTP client (client.h): parsing http:// URLs and resolving
// redirect locations.
#include <charconv>

#include "service/http/client.h"

namespace imagefs::service::http {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && HeaderNameEquals(s.substr(0, prefix.size()), prefix);
}

Status BadUrl(std::string_view text, std::string_view why) {
  return InvalidArgument("invalid URL '" + std::string(text) + "': " + std::string(why));
}

// Splits "host[:port]" (IPv6 in brackets) into the URL's host and port.
Status ParseAuthority(std::string_view text, std::string_view authority, Url* url) {
  if (authority.find('@') != std::string_view::npos) return BadUrl(text, "user information");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(text, "unterminated IPv6 address");
    url->host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return BadUrl(text, "junk after the IPv6 address");
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    url->host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url->host.empty()) return BadUrl(text, "no host");
  url->port = 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return BadUrl(text, "bad port");
    }
    url->port = static_cast<uint16_t>(value);
  }
  return Status::Ok();
}

// The target without a fragment; "/" when empty.
std::string CleanTarget(std::string_view target) {
  target = target.substr(0, target.find('#'));
  if (target.empty()) return "/";
  if (target.front() == '?') return "/" + std::string(target);
  return std::string(target);
}

}  // namespace

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 80) h += ":" + std::to_string(port);
  return h;
}

std::string Url::ToString() const { return "http://" + HostHeader() + target; }

Result<Url> ParseHttpUrl(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!StartsWithNoCase(text, kScheme)) return BadUrl(text, "only http:// URLs are supported");
  std::string_view rest = text.substr(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  Url url;
  IMAGEFS_RETURN_IF_ERROR(ParseAuthority(text, rest.substr(0, end), &url));
  url.target = CleanTarget(end == std::string_view::npos ? "" : rest.substr(end));
  for (char c : url.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return BadUrl(text, "control or space");
  }
  return url;
}

Result<Url> ResolveLocation(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return ParseHttpUrl(location);
  if (location.substr(0, 2) == "//") return ParseHttpUrl("http:" + std::string(location));
  Url url = base;
  if (!location.empty() && location.front() == '/') {
    url.target = CleanTarget(location);
    return url;
  }
  std::string dir = base.target.substr(0, base.target.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  url.target = CleanTarget(dir + std::string(location));
  return url;
}

}  // namespace imagefs::service::http
