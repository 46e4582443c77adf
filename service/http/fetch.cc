#include "service/http/fetch.h"

namespace imagefs::service::http {
namespace {

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

Result<std::unique_ptr<ResponseStream>> FetchAllowed(HttpClient& client, const HostFilter& filter,
                                                     std::string_view url,
                                                     const FetchOptions& options) {
  IMAGEFS_ASSIGN_OR_RETURN(Url next, ParseHttpUrl(url));
  std::string method = options.method;
  for (int hop = 0;; ++hop) {
    IMAGEFS_RETURN_IF_ERROR(filter.CheckUrl(next));
    ClientRequest request;
    request.method = method;
    request.url = next;
    request.headers = options.headers;
    request.address_check = filter.AddressCheckFor(next);
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<ResponseStream> response, client.Open(request));
    if (!IsRedirect(response->status())) return response;
    std::optional<std::string_view> location = response->Header("Location");
    if (!location) return response;  // a redirect without a target: the caller sees the 3xx
    if (hop >= options.max_redirects) {
      return FailedPrecondition("too many redirects fetching " + std::string(url));
    }
    IMAGEFS_ASSIGN_OR_RETURN(next, ResolveLocation(next, *location));
    if (response->status() == 303 && method != "HEAD") method = "GET";
  }
}

}  // namespace imagefs::service::http
