// HostFilter: the hosts imaged's outgoing requests may reach (web-download and
// glance-download imports, http image locations): an allow-list, so a user cannot
// make imaged fetch from the service network (SSRF). Entries, comma-separated:
//
//   127.0.0.0/8   ::1   10.1.2.3          an address or network (CIDR), any port
//   127.0.0.1:9496   [::1]:8080   10.0.0.0/8:80   the same, one port only
//   images.example.com   mirror.example.com:8080   a host name (any / one port)
//
// A URL passes when its port is allowed and either its host is a listed name
// (compared case-insensitively; its addresses are then trusted), or every address
// it resolves to lies in a listed network. Addresses are checked when connecting
// (ClientRequest::address_check), so a name cannot resolve elsewhere between check
// and use. IPv4-mapped IPv6 addresses count as their IPv4 address.
// Default: "127.0.0.0/8,::1" (loopback only). Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "service/http/client.h"

namespace imagefs::service::http {

class HostFilter {
 public:
  // The default: loopback only.
  HostFilter();

  // Parses the comma-separated entries; InvalidArgument names a bad entry. An empty
  // text allows nothing.
  static Result<HostFilter> Parse(std::string_view text);

  // What can be decided before resolving: PermissionDenied when the URL's host is
  // an address outside every network, or no entry allows its port. OK otherwise
  // (a name is then checked through AddressCheckFor when connecting).
  Status CheckUrl(const Url& url) const;

  // The check of resolved addresses for a connection to `url`: empty (no check)
  // when its host is a listed name; else a function that refuses, with
  // PermissionDenied, an address outside the networks allowing the URL's port.
  AddressCheck AddressCheckFor(const Url& url) const;

  // The entries, comma-separated, as given.
  const std::string& text() const { return text_; }

 private:
  struct Entry {
    std::string name;            // a host name (lower case); empty for a network
    std::vector<uint8_t> network;  // 4 or 16 bytes, for a network entry
    int prefix = 0;              // network prefix length in bits
    std::optional<uint16_t> port;  // nullopt: any port
  };

  HostFilter(std::vector<Entry> entries, std::string text)
      : entries_(std::move(entries)), text_(std::move(text)) {}

  static Result<Entry> ParseEntry(std::string_view text);
  bool AddressAllowed(const std::vector<uint8_t>& address, uint16_t port) const;
  bool NameAllowed(std::string_view host, uint16_t port) const;

  std::vector<Entry> entries_;
  std::string text_;
};

// The bytes of a numeric IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4), or
// nullopt when `text` is not one.
std::optional<std::vector<uint8_t>> ParseAddress(std::string_view text);

}  // namespace imagefs::service::http
