// Fetching a URL for a user (web-download, glance-download, http locations): every
// hop, redirects included, must pass a HostFilter. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"
#include "service/http/client.h"
#include "service/http/host_filter.h"

namespace imagefs::service::http {

struct FetchOptions {
  std::string method = "GET";
  HeaderList headers;
  // Redirects (301, 302, 303, 307, 308) followed at most. Default: 5.
  int max_redirects = 5;
};

// Opens `url` through `client`, following redirects; each URL (the first and every
// Location) must be an allowed http:// URL, checked before connecting, and every
// address it resolves to is checked when connecting. Returns the final response,
// whatever its status (a 404 is a successful fetch). Errors: InvalidArgument for a
// URL that is not http://; PermissionDenied for a host the filter refuses (the
// message names it); Unavailable/DeadlineExceeded as HttpClient::Open;
// FailedPrecondition after too many redirects.
Result<std::unique_ptr<ResponseStream>> FetchAllowed(HttpClient& client, const HostFilter& filter,
                                                     std::string_view url,
                                                     const FetchOptions& options = {});

}  // namespace imagefs::service::http
