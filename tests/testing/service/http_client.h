// HttpClient: a small libcurl client for integration tests of imaged.
// One connection is kept alive per client. Not thread-safe; use one per thread.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace imagefs::testing {

struct HttpResponse {
  long status = 0;      // 0 when the transfer failed (see error)
  std::string error;    // curl's message when status == 0
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> Header(const std::string& lower_name) const;
  boost::json::value Json() const;  // null when the body is not JSON
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using Headers = std::vector<std::pair<std::string, std::string>>;

  // `token` empty: no X-Auth-Token header.
  HttpResponse Request(const std::string& method, const std::string& path,
                       const std::string& token, const std::string& body = "",
                       Headers headers = {});
  HttpResponse Get(const std::string& path, const std::string& token, Headers headers = {}) {
    return Request("GET", path, token, "", std::move(headers));
  }
  HttpResponse PostJson(const std::string& path, const std::string& token,
                        const std::string& json) {
    return Request("POST", path, token, json, {{"Content-Type", "application/json"}});
  }
  HttpResponse Patch(const std::string& path, const std::string& token, const std::string& json,
                     const std::string& media = "application/openstack-images-v2.1-json-patch") {
    return Request("PATCH", path, token, json, {{"Content-Type", media}});
  }

  // Uploads `data` with PUT. chunked: Transfer-Encoding chunked (no Content-Length).
  // abort_after >= 0: the client stops sending after that many bytes and drops the
  // connection (a client that disconnects mid-upload).
  HttpResponse Put(const std::string& path, const std::string& token, const std::string& data,
                   bool chunked = false, int64_t abort_after = -1,
                   const std::string& content_type = "application/octet-stream",
                   Headers headers = {});

 private:
  std::string base_url_;
  void* curl_;
};

// Creates a raw/bare image for `token` and uploads `data`; returns its id ("" on failure).
std::string CreateActiveImage(HttpClient& client, const std::string& token,
                              const std::string& name, const std::string& data,
                              const std::string& extra_json = "");

}  // namespace imagefs::testing
