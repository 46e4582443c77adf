#include "service/http/host_filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace imagefs::service::http {
namespace {

constexpr std::string_view kDefault = "127.0.0.0/8,::1";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<unsigned> ParseUnsigned(std::string_view s, unsigned max) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

bool InNetwork(const std::vector<uint8_t>& address, const std::vector<uint8_t>& network,
               int prefix) {
  if (address.size() != network.size()) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) return false;
  }
  return true;
}

// Splits "host[:port]" / "[v6][:port]" / a bare IPv6 address into host and port text.
void SplitPort(std::string_view entry, std::string_view* host, std::string_view* port) {
  *port = {};
  if (!entry.empty() && entry.front() == '[') {
    size_t close = entry.find(']');
    *host = entry.substr(1, close == std::string_view::npos ? entry.npos : close - 1);
    if (close != std::string_view::npos && close + 1 < entry.size() && entry[close + 1] == ':') {
      *port = entry.substr(close + 2);
    }
    return;
  }
  size_t colon = entry.rfind(':');
  if (colon == std::string_view::npos || entry.find(':') != colon) {
    *host = entry;  // no port, or a bare IPv6 address (several colons)
    return;
  }
  *host = entry.substr(0, colon);
  *port = entry.substr(colon + 1);
}

}  // namespace

std::optional<std::vector<uint8_t>> ParseAddress(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) return std::vector<uint8_t>(buf, buf + 4);
  if (::inet_pton(AF_INET6, s.c_str(), buf) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(buf, kMapped, sizeof kMapped) == 0) return std::vector<uint8_t>(buf + 12, buf + 16);
  return std::vector<uint8_t>(buf, buf + 16);
}

HostFilter::HostFilter() : HostFilter(*Parse(kDefault)) {}

Result<HostFilter::Entry> HostFilter::ParseEntry(std::string_view text) {
  auto bad = [&] { return InvalidArgument("bad allowed-host entry '" + std::string(text) + "'"); };
  std::string_view host, port;
  SplitPort(text, &host, &port);
  Entry e;
  if (!port.empty()) {
    std::optional<unsigned> p = ParseUnsigned(port, 65535);
    if (!p || *p == 0) return bad();
    e.port = static_cast<uint16_t>(*p);
  }
  size_t slash = host.find('/');
  std::optional<std::vector<uint8_t>> addr = ParseAddress(host.substr(0, slash));
  if (addr) {
    e.network = *addr;
    e.prefix = static_cast<int>(addr->size() * 8);
    if (slash != std::string_view::npos) {
      std::optional<unsigned> bits = ParseUnsigned(host.substr(slash + 1), e.prefix);
      if (!bits) return bad();
      e.prefix = static_cast<int>(*bits);
    }
    return e;
  }
  if (host.empty() || slash != std::string_view::npos ||
      host.find_first_of(" :[]@") != std::string_view::npos) {
    return bad();
  }
  e.name = Lower(host);
  return e;
}

Result<HostFilter> HostFilter::Parse(std::string_view text) {
  std::vector<Entry> entries;
  std::string original(text);
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view piece = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (piece.empty()) continue;
    IMAGEFS_ASSIGN_OR_RETURN(Entry e, ParseEntry(piece));
    entries.push_back(std::move(e));
  }
  return HostFilter(std::move(entries), std::move(original));
}

bool HostFilter::AddressAllowed(const std::vector<uint8_t>& address, uint16_t port) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.name.empty() && (!e.port || *e.port == port) && InNetwork(address, e.network, e.prefix);
  });
}

bool HostFilter::NameAllowed(std::string_view host, uint16_t port) const {
  std::string lower = Lower(host);
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return !e.name.empty() && e.name == lower && (!e.port || *e.port == port);
  });
}

Status HostFilter::CheckUrl(const Url& url) const {
  auto refused = [&] {
    return PermissionDenied("host " + url.HostHeader() + " is not in the allowed hosts (" +
                            text_ + ")");
  };
  if (std::optional<std::vector<uint8_t>> addr = ParseAddress(url.host)) {
    return AddressAllowed(*addr, url.port) ? Status::Ok() : refused();
  }
  if (NameAllowed(url.host, url.port)) return Status::Ok();
  bool port_possible = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.name.empty() && (!e.port || *e.port == url.port);
  });
  return port_possible ? Status::Ok() : refused();
}

AddressCheck HostFilter::AddressCheckFor(const Url& url) const {
  if (NameAllowed(url.host, url.port)) return {};
  return [this, host = url.HostHeader(), port = url.port](std::string_view address) -> Status {
    std::optional<std::vector<uint8_t>> addr = ParseAddress(address);
    if (addr && AddressAllowed(*addr, port)) return Status::Ok();
    return PermissionDenied("host " + host + " resolves to " + std::string(address) +
                            ", which is not in the allowed hosts (" + text_ + ")");
  };
}

}  // namespace imagefs::service::http
