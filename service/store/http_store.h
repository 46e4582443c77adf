// HttpStore: the read-only "http" store of image locations (Glance's http store):
// image data that lives at an http:// URL, reached through the deployment's
// HostFilter (every hop, redirects included). It holds no bytes itself.
// Thread-safe; the filter must outlive the store.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/range_reader.h"
#include "common/result.h"
#include "service/http/client.h"
#include "service/http/host_filter.h"

namespace imagefs::service {

class HttpStore {
 public:
  HttpStore(std::string id, const http::HostFilter& filter, http::ClientOptions options = {});
  HttpStore(const HttpStore&) = delete;
  HttpStore& operator=(const HttpStore&) = delete;

  // The store id shown in `stores` and /v2/info/stores. Default: "http".
  const std::string& id() const { return id_; }
  const http::HostFilter& filter() const { return filter_; }
  http::HttpClient& client() { return client_; }

  // InvalidArgument unless `url` is an http:// URL; PermissionDenied when its host
  // is not allowed (an address literal outside the allowed networks).
  Status CheckUrl(std::string_view url) const;

  // The size of the data at `url` (HEAD, or GET when HEAD is refused). NotFound
  // when the server answers 4xx; Unavailable when it cannot be reached or answers
  // 5xx; InvalidArgument when it sends no Content-Length; the filter's refusals.
  Result<uint64_t> Size(std::string_view url);

  // A reader of the `size` bytes at `url`. Sequential reads share one GET; a read
  // elsewhere asks for a byte range.
  Result<std::unique_ptr<RangeReader>> Open(std::string_view url, uint64_t size);

 private:
  const std::string id_;
  const http::HostFilter& filter_;
  http::HttpClient client_;
};

}  // namespace imagefs::service
