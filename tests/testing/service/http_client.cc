#include "tests/testing/service/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <boost/json.hpp>

namespace imagefs::testing {

namespace {

size_t OnBody(char* p, size_t size, size_t n, void* userdata) {
  static_cast<std::string*>(userdata)->append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* userdata) {
  auto* headers = static_cast<std::multimap<std::string, std::string>*>(userdata);
  std::string line(p, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    headers->emplace(name, value);
  } else if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue)
  }
  return size * n;
}

struct UploadState {
  const std::string* data;
  size_t pos = 0;
  int64_t abort_after = -1;
};

size_t OnRead(char* buf, size_t size, size_t n, void* userdata) {
  auto* st = static_cast<UploadState*>(userdata);
  size_t room = size * n;
  size_t left = st->data->size() - st->pos;
  if (st->abort_after >= 0) {
    if (st->pos >= static_cast<size_t>(st->abort_after)) return CURL_READFUNC_ABORT;
    left = std::min(left, static_cast<size_t>(st->abort_after) - st->pos);
  }
  size_t k = std::min(room, left);
  std::copy(st->data->data() + st->pos, st->data->data() + st->pos + k, buf);
  st->pos += k;
  return k;
}

// Runs the prepared transfer into `resp` and frees `headers`.
void Perform(CURL* c, curl_slist* headers, long timeout_s, HttpResponse* resp) {
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
  } else {
    resp->error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
}

}  // namespace

std::optional<std::string> HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

boost::json::value HttpResponse::Json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return v;
}

HttpClient::HttpClient(std::string base_url)
    : base_url_(std::move(base_url)), curl_(curl_easy_init()) {}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::Request(const std::string& method, const std::string& path,
                                 const std::string& token, const std::string& body,
                                 Headers headers) {
  if (method == "PUT") return Put(path, token, body, false, -1, "application/octet-stream", headers);
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  HttpResponse resp;
  std::string url = base_url_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  curl_slist* list = nullptr;
  if (!token.empty()) list = curl_slist_append(list, ("X-Auth-Token: " + token).c_str());
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (!body.empty() || method == "POST" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  Perform(c, list, 60, &resp);
  return resp;
}

HttpResponse HttpClient::Put(const std::string& path, const std::string& token,
                             const std::string& data, bool chunked, int64_t abort_after,
                             const std::string& content_type, Headers headers) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  HttpResponse resp;
  std::string url = base_url_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  UploadState st{&data, 0, abort_after};
  curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(c, CURLOPT_READDATA, &st);
  curl_slist* list = nullptr;
  if (!token.empty()) list = curl_slist_append(list, ("X-Auth-Token: " + token).c_str());
  if (!content_type.empty()) list = curl_slist_append(list, ("Content-Type: " + content_type).c_str());
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  list = curl_slist_append(list, "Expect:");
  if (chunked) {
    list = curl_slist_append(list, "Transfer-Encoding: chunked");
  } else {
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  Perform(c, list, 120, &resp);
  return resp;
}

std::string CreateActiveImage(HttpClient& client, const std::string& token,
                              const std::string& name, const std::string& data,
                              const std::string& extra_json) {
  std::string body = "{\"name\": \"" + name +
                     "\", \"disk_format\": \"raw\", \"container_format\": \"bare\"" +
                     (extra_json.empty() ? "" : ", " + extra_json) + "}";
  HttpResponse created = client.PostJson("/v2/images", token, body);
  if (created.status != 201) return "";
  std::string id(created.Json().at("id").as_string());
  HttpResponse up = client.Put("/v2/images/" + id + "/file", token, data);
  if (up.status != 204) return "";
  return id;
}

}  // namespace imagefs::testing
