#include "fs/http_catalog_client.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <curl/curl.h>

#include "common/log.h"
#include "common/thread_annotations.h"
#include "common/time_util.h"
#include "common/wire/image_codec.h"
#include "fs/backup_json.h"
#include "fs/http_util.h"
#include "fs/retry_policy.h"

namespace imagefs::fs {
namespace {

using std::chrono::milliseconds;

constexpr long kRangeBufferSize = 512 * 1024;  // CURL_MAX_READ_SIZE in 7.88
constexpr size_t kMaxJsonBody = size_t{256} << 20;
constexpr char kPatchType[] = "application/openstack-images-v2.1-json-patch";
constexpr char kJsonType[] = "application/json";
// The newest Block Storage microversion imaged speaks: shows backup metadata.
constexpr char kVolumeVersion[] = "OpenStack-API-Version: volume 3.64";

// Where a response body goes: appended to `out`. Range reads (`fixed`) take exactly
// `limit` bytes in all, possibly over several attempts (a retry resumes at `pos`).
struct Sink {
  std::string* out = nullptr;
  bool fixed = false;
  size_t pos = 0;
  size_t limit = 0;
  std::string error_body;  // the body of a non-2xx answer
  CURL* handle = nullptr;
  std::string date;  // the Date header of the successful answer
};

struct Request {
  const char* method = "GET";
  std::string path;  // from the root of the service, starting with '/'
  std::string body;
  const char* content_type = nullptr;
  const char* extra_header = nullptr;  // one more "Name: value" header
  bool has_range = false;
  uint64_t range_base = 0;   // the first byte the caller wants
  uint64_t range_first = 0;  // the first byte this attempt asks for
  uint64_t range_last = 0;   // inclusive
};

struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string content_range;
  std::string date;
  std::string curl_error;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &status);
  if (!IsSuccess(status)) {
    if (sink->error_body.size() < 64 * 1024) sink->error_body.append(data, len);
    return len;
  }
  if (sink->fixed) {
    if (sink->pos + len > sink->limit) return 0;  // more than asked for: abort
    sink->out->append(data, len);  // into reserved capacity: no zero-fill, no realloc
    sink->pos += len;
    return len;
  }
  if (sink->out->size() + len > kMaxJsonBody) return 0;
  sink->out->append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* attempt = static_cast<Attempt*>(user);
  std::string_view line(data, size * n);
  if (auto v = HeaderValue(line, "content-range:")) attempt->content_range = std::move(*v);
  if (auto v = HeaderValue(line, "date:")) attempt->date = std::move(*v);
  return size * n;
}

// True when the request cannot have reached the service (safe to retry any method).
bool NeverSent(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

class HandlePool {
 public:
  explicit HandlePool(int max_idle) : max_idle_(max_idle) {}
  ~HandlePool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  CURL* Get() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Put(CURL* h) {
    {
      std::lock_guard lock(mu_);
      if (static_cast<int>(idle_.size()) < max_idle_) {
        idle_.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

 private:
  const int max_idle_;
  std::mutex mu_;
  std::vector<CURL*> idle_ GUARDED_BY(mu_);
};

class HttpCatalogClient final : public CatalogClient {
 public:
  HttpCatalogClient(const HttpClientOptions& options, Clock& clock)
      : options_(options), clock_(clock), pool_(options.max_idle_connections) {}

  // CatalogClient
  Result<ImageListing> ListImages(const ListFilter& filter, const CallOptions& call) override;
  Result<wire::Image> GetImage(const std::string& id, const CallOptions& call) override;
  Result<std::optional<wire::BlockMap>> GetBlockMap(const std::string& id,
                                                    const CallOptions& call) override;
  Result<std::string> ReadRange(const std::string& id, uint64_t offset, uint64_t length,
                                const CallOptions& call) override;
  Result<wire::Image> PatchImage(const std::string& id, const std::string& patch_json,
                                 const CallOptions& call) override;

  Result<ImageListing> ListSharedImages(const CallOptions& call) override;
  Result<std::vector<wire::Member>> ListMembers(const std::string& image_id,
                                                const CallOptions& call) override;
  Result<wire::Member> AddMember(const std::string& image_id, const std::string& member,
                                 const CallOptions& call) override;
  Result<wire::Member> UpdateMember(const std::string& image_id, const std::string& member,
                                    const std::string& status, const CallOptions& call) override;
  Status RemoveMember(const std::string& image_id, const std::string& member,
                      const CallOptions& call) override;
  Result<std::vector<BackupInfo>> ListBackups(const std::string& project,
                                              const CallOptions& call) override;
  Result<BackupInfo> GetBackup(const std::string& project, const std::string& id,
                               const CallOptions& call) override;
  Result<std::string> CreateBackup(const std::string& project, const std::string& image_id,
                                   const std::string& name, const CallOptions& call) override;
  Result<std::string> RestoreBackup(const std::string& project, const std::string& id,
                                    const std::string& name, const CallOptions& call) override;
  Status DeleteBackup(const std::string& project, const std::string& id,
                      const CallOptions& call) override;

  HttpClientStats stats() const { return {requests_.load(), retries_.load(), range_bytes_.load()}; }

 private:
  Attempt PerformOnce(const Request& req, Sink& sink, milliseconds budget);
  void SetOptions(CURL* h, const Request& req, Sink& sink, Attempt& a, curl_slist* headers,
                  milliseconds budget);
  curl_slist* Headers(const Request& req) const;
  // Runs `req` with retries per `call`; the body of the 2xx answer lands in `sink`.
  Result<long> Perform(Request& req, Sink& sink, const CallOptions& call, bool idempotent,
                       const std::string& what);
  Result<std::string> GetJson(const std::string& path, const CallOptions& call,
                              const std::string& what, std::string* date = nullptr);
  // Any call with a JSON (or no) body; returns the answer's body.
  Result<std::string> Call(Request& req, const CallOptions& call, bool idempotent,
                           const std::string& what);
  Result<ImageListing> ListPages(std::string path, const CallOptions& call);
  std::string BackupsPath(const std::string& project) const;

  const HttpClientOptions options_;
  Clock& clock_;
  HandlePool pool_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> range_bytes_{0};
};

curl_slist* HttpCatalogClient::Headers(const Request& req) const {
  curl_slist* h = nullptr;
  if (!options_.token.empty())
    h = curl_slist_append(h, ("X-Auth-Token: " + options_.token).c_str());
  h = curl_slist_append(h, "Accept: application/json");
  h = curl_slist_append(h, "Expect:");
  if (req.content_type != nullptr) {
    h = curl_slist_append(h, (std::string("Content-Type: ") + req.content_type).c_str());
  }
  if (req.extra_header != nullptr) h = curl_slist_append(h, req.extra_header);
  if (req.has_range) {
    std::string r =
        "Range: bytes=" + std::to_string(req.range_first) + "-" + std::to_string(req.range_last);
    h = curl_slist_append(h, r.c_str());
  }
  return h;
}

void HttpCatalogClient::SetOptions(CURL* h, const Request& req, Sink& sink, Attempt& a,
                                   curl_slist* headers, milliseconds budget) {
  std::string url = options_.base_url + req.path;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());  // libcurl copies strings
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "imagefs/0.1");
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  long total = std::max<long>(1, static_cast<long>(budget.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min<long>(total, static_cast<long>(options_.connect_timeout.count())));
  long stall_s =
      std::max<long>(1, static_cast<long>((options_.stall_timeout.count() + 999) / 1000));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a.curl_error.data());
  if (req.has_range) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kRangeBufferSize);
  if (std::strcmp(req.method, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
}

Attempt HttpCatalogClient::PerformOnce(const Request& req, Sink& sink, milliseconds budget) {
  Attempt a;
  a.curl_error.assign(CURL_ERROR_SIZE, '\0');
  CURL* h = pool_.Get();
  if (h == nullptr) {
    a.code = CURLE_OUT_OF_MEMORY;
    return a;
  }
  // reset keeps the live connection, so the next request on this handle reuses it.
  curl_easy_reset(h);
  sink.handle = h;
  sink.error_body.clear();
  curl_slist* headers = Headers(req);
  SetOptions(h, req, sink, a, headers, budget);
  requests_.fetch_add(1, std::memory_order_relaxed);
  a.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(headers);
  a.curl_error.resize(std::strlen(a.curl_error.c_str()));
  if (a.curl_error.empty() && a.code != CURLE_OK) a.curl_error = curl_easy_strerror(a.code);
  if (a.code == CURLE_OK) {
    pool_.Put(h);
  } else {
    curl_easy_cleanup(h);  // the connection's state is unknown; do not reuse it
  }
  return a;
}

Result<long> HttpCatalogClient::Perform(Request& req, Sink& sink, const CallOptions& call,
                                        bool idempotent, const std::string& what) {
  thread_local uint64_t seed = std::hash<std::thread::id>()(std::this_thread::get_id()) ^
                               static_cast<uint64_t>(clock_.WallMicros());
  Backoff backoff(options_.backoff_initial, options_.backoff_max, seed++);
  Status last;
  for (int attempt = 1;; ++attempt) {
    auto now = clock_.Now();
    if (now >= call.deadline) {
      if (last.ok()) return DeadlineExceeded(what + ": deadline passed before the request");
      return Unavailable(last.message() + " (gave up after " + std::to_string(attempt - 1) +
                         " attempts)");
    }
    auto budget = std::chrono::duration_cast<milliseconds>(call.deadline - now);
    if (call.deadline == Deadline::max()) budget = milliseconds(24 * 3600 * 1000);
    // A range read resumes where the previous attempt stopped.
    if (req.has_range) req.range_first = req.range_base + sink.pos;
    Attempt a = PerformOnce(req, sink, budget);
    if (a.code == CURLE_OK && !IsTransientHttp(a.status)) {
      if (a.status == 206 && !ContentRangeStartsAt(a.content_range, req.range_first)) {
        return Internal(what + ": unexpected Content-Range '" + a.content_range + "'");
      }
      if (IsSuccess(a.status)) {
        sink.date = a.date;
        return a.status;
      }
      return FromHttp(a.status, what, sink.error_body);
    }
    bool sent = !NeverSent(a.code);
    last = a.code != CURLE_OK ? Unavailable(what + ": " + a.curl_error)
                              : FromHttp(a.status, what, sink.error_body);
    if (!call.retry || (!idempotent && sent)) return last;
    retries_.fetch_add(1, std::memory_order_relaxed);
    IMAGEFS_LOG_DEBUG("{}: attempt {} failed ({}), retrying", what, attempt, last.ToString());
    auto left = call.deadline - clock_.Now();
    auto delay = std::min<std::chrono::nanoseconds>(backoff.Next(), left);
    if (delay.count() > 0) clock_.SleepFor(delay);
  }
}

Result<std::string> HttpCatalogClient::GetJson(const std::string& path, const CallOptions& call,
                                               const std::string& what, std::string* date) {
  Request req;
  req.path = path;
  std::string body;
  Sink sink;
  sink.out = &body;
  IMAGEFS_RETURN_IF_ERROR(Perform(req, sink, call, /*idempotent=*/true, what).status());
  if (date != nullptr) *date = std::move(sink.date);
  return body;
}

Result<std::string> HttpCatalogClient::Call(Request& req, const CallOptions& call,
                                            bool idempotent, const std::string& what) {
  std::string body;
  Sink sink;
  sink.out = &body;
  IMAGEFS_RETURN_IF_ERROR(Perform(req, sink, call, idempotent, what).status());
  return body;
}

Result<ImageListing> HttpCatalogClient::ListImages(const ListFilter& filter,
                                                   const CallOptions& call) {
  std::string path = "/v2/images?limit=1000";
  if (filter.updated_after) {
    path = "/v2/images?updated_at=gt:" + FormatIsoZ(*filter.updated_after) +
           "&sort=updated_at:asc&limit=1000";
  }
  return ListPages(std::move(path), call);
}

Result<ImageListing> HttpCatalogClient::ListSharedImages(const CallOptions& call) {
  return ListPages("/v2/images?visibility=shared&member_status=all&limit=1000", call);
}

Result<ImageListing> HttpCatalogClient::ListPages(std::string path, const CallOptions& call) {
  ImageListing listing;
  for (int page_no = 0; page_no < 100000; ++page_no) {
    std::string date;
    IMAGEFS_ASSIGN_OR_RETURN(std::string body, GetJson(path, call, "list images", &date));
    if (page_no == 0) listing.server_time_us = ParseHttpDate(date);
    IMAGEFS_ASSIGN_OR_RETURN(wire::ImagePage page, wire::ParseV2ImagePage(body));
    bool empty = page.images.empty();
    for (auto& img : page.images) listing.images.push_back(std::move(img));
    if (page.next.empty() || empty || page.next == path) break;
    path = page.next;
  }
  return listing;
}

Result<wire::Image> HttpCatalogClient::GetImage(const std::string& id, const CallOptions& call) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string body,
                           GetJson("/v2/images/" + EscapePathSegment(id), call, "get image " + id));
  return wire::ParseV2Image(body);
}

Result<std::optional<wire::BlockMap>> HttpCatalogClient::GetBlockMap(const std::string& id,
                                                                     const CallOptions& call) {
  std::string path;
  if (auto backup = ParseBackupSourceId(id)) {
    path = BackupsPath(backup->first) + "/" + EscapePathSegment(backup->second) + "/blocks";
  } else {
    path = "/v2/images/" + EscapePathSegment(id) + "/blocks";
  }
  auto body = GetJson(path, call, "block map " + id);
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kNotFound) return std::optional<wire::BlockMap>();
    return body.status();
  }
  IMAGEFS_ASSIGN_OR_RETURN(wire::BlockMap map, wire::ParseBlockMap(*body));
  return std::optional<wire::BlockMap>(std::move(map));
}

Result<std::string> HttpCatalogClient::ReadRange(const std::string& id, uint64_t offset,
                                                 uint64_t length, const CallOptions& call) {
  if (length == 0) return std::string();
  std::string data;
  data.reserve(length);
  Sink sink;
  sink.out = &data;
  sink.fixed = true;
  sink.limit = length;
  Request req;
  if (auto backup = ParseBackupSourceId(id)) {
    req.path = BackupsPath(backup->first) + "/" + EscapePathSegment(backup->second) + "/data";
  } else {
    req.path = "/v2/images/" + EscapePathSegment(id) + "/file";
  }
  req.has_range = true;
  req.range_base = offset;
  req.range_last = offset + length - 1;
  std::string what = "read " + id;
  Backoff backoff(options_.backoff_initial, options_.backoff_max, offset ^ length);
  while (true) {
    IMAGEFS_ASSIGN_OR_RETURN(long status, Perform(req, sink, call, true, what));
    if (status == 204) return FailedPrecondition(what + ": the image has no data");
    if (status == 200 && offset != 0) return Internal(what + ": the service ignored Range");
    if (sink.pos == length) break;
    // A 2xx that ended early (the connection closed cleanly mid-body): go again.
    if (!call.retry || clock_.Now() >= call.deadline) {
      return Unavailable(what + ": short body (" + std::to_string(sink.pos) + " of " +
                         std::to_string(length) + " bytes)");
    }
    clock_.SleepFor(backoff.Next());
  }
  range_bytes_.fetch_add(length, std::memory_order_relaxed);
  return data;
}

Result<wire::Image> HttpCatalogClient::PatchImage(const std::string& id,
                                                  const std::string& patch_json,
                                                  const CallOptions& call) {
  Request req;
  req.method = "PATCH";
  req.path = "/v2/images/" + EscapePathSegment(id);
  req.body = patch_json;
  req.content_type = kPatchType;
  std::string body;
  Sink sink;
  sink.out = &body;
  IMAGEFS_RETURN_IF_ERROR(Perform(req, sink, call, /*idempotent=*/false, "patch " + id).status());
  return wire::ParseV2Image(body);
}

std::string MembersPath(const std::string& image_id) {
  return "/v2/images/" + EscapePathSegment(image_id) + "/members";
}

Result<std::vector<wire::Member>> HttpCatalogClient::ListMembers(const std::string& image_id,
                                                                 const CallOptions& call) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string body,
                           GetJson(MembersPath(image_id), call, "members of " + image_id));
  return wire::ParseV2MemberList(body);
}

Result<wire::Member> HttpCatalogClient::AddMember(const std::string& image_id,
                                                  const std::string& member,
                                                  const CallOptions& call) {
  Request req;
  req.method = "POST";
  req.path = MembersPath(image_id);
  req.body = boost::json::serialize(boost::json::object{{"member", member}});
  req.content_type = kJsonType;
  IMAGEFS_ASSIGN_OR_RETURN(std::string body,
                           Call(req, call, false, "add member " + member + " to " + image_id));
  IMAGEFS_ASSIGN_OR_RETURN(boost::json::value v, wire::ParseJson(body));
  return wire::ParseV2Member(v);
}

Result<wire::Member> HttpCatalogClient::UpdateMember(const std::string& image_id,
                                                     const std::string& member,
                                                     const std::string& status,
                                                     const CallOptions& call) {
  Request req;
  req.method = "PUT";
  req.path = MembersPath(image_id) + "/" + EscapePathSegment(member);
  req.body = boost::json::serialize(boost::json::object{{"status", status}});
  req.content_type = kJsonType;
  IMAGEFS_ASSIGN_OR_RETURN(std::string body,
                           Call(req, call, true, "update member " + member + " of " + image_id));
  IMAGEFS_ASSIGN_OR_RETURN(boost::json::value v, wire::ParseJson(body));
  return wire::ParseV2Member(v);
}

Status HttpCatalogClient::RemoveMember(const std::string& image_id, const std::string& member,
                                       const CallOptions& call) {
  Request req;
  req.method = "DELETE";
  req.path = MembersPath(image_id) + "/" + EscapePathSegment(member);
  return Call(req, call, false, "remove member " + member + " of " + image_id).status();
}

std::string HttpCatalogClient::BackupsPath(const std::string& project) const {
  return "/v3/" + EscapePathSegment(project) + "/backups";
}

Result<std::vector<BackupInfo>> HttpCatalogClient::ListBackups(const std::string& project,
                                                               const CallOptions& call) {
  std::vector<BackupInfo> out;
  std::string path = BackupsPath(project) + "/detail?limit=1000";
  for (int page_no = 0; page_no < 100000 && !path.empty(); ++page_no) {
    Request req;
    req.path = path;
    req.extra_header = kVolumeVersion;
    IMAGEFS_ASSIGN_OR_RETURN(std::string body, Call(req, call, true, "list backups"));
    IMAGEFS_ASSIGN_OR_RETURN(BackupPage page, ParseBackupPage(body));
    bool empty = page.backups.empty();
    for (auto& b : page.backups) out.push_back(std::move(b));
    // The next link is absolute: keep its path and query.
    std::string next = page.next;
    if (next.rfind(options_.base_url, 0) == 0) next = next.substr(options_.base_url.size());
    if (next.empty() || empty || next == path || next[0] != '/') break;
    path = next;
  }
  return out;
}

Result<BackupInfo> HttpCatalogClient::GetBackup(const std::string& project, const std::string& id,
                                                const CallOptions& call) {
  Request req;
  req.path = BackupsPath(project) + "/" + EscapePathSegment(id);
  req.extra_header = kVolumeVersion;
  IMAGEFS_ASSIGN_OR_RETURN(std::string body, Call(req, call, true, "get backup " + id));
  return ParseBackupDetail(body);
}

Result<std::string> HttpCatalogClient::CreateBackup(const std::string& project,
                                                    const std::string& image_id,
                                                    const std::string& name,
                                                    const CallOptions& call) {
  Request req;
  req.method = "POST";
  req.path = BackupsPath(project);
  req.body = CreateBackupBody(image_id, name);
  req.content_type = kJsonType;
  req.extra_header = kVolumeVersion;
  IMAGEFS_ASSIGN_OR_RETURN(std::string body, Call(req, call, false, "back up " + image_id));
  return ParseCreatedBackupId(body);
}

Result<std::string> HttpCatalogClient::RestoreBackup(const std::string& project,
                                                     const std::string& id,
                                                     const std::string& name,
                                                     const CallOptions& call) {
  Request req;
  req.method = "POST";
  req.path = BackupsPath(project) + "/" + EscapePathSegment(id) + "/restore";
  req.body = RestoreBackupBody(name);
  req.content_type = kJsonType;
  req.extra_header = kVolumeVersion;
  IMAGEFS_ASSIGN_OR_RETURN(std::string body, Call(req, call, false, "restore backup " + id));
  return ParseRestoredImageId(body);
}

Status HttpCatalogClient::DeleteBackup(const std::string& project, const std::string& id,
                                       const CallOptions& call) {
  Request req;
  req.method = "DELETE";
  req.path = BackupsPath(project) + "/" + EscapePathSegment(id);
  req.extra_header = kVolumeVersion;
  return Call(req, call, false, "delete backup " + id).status();
}

}  // namespace

Result<std::unique_ptr<CatalogClient>> NewHttpCatalogClient(const HttpClientOptions& options,
                                                            Clock& clock) {
  static std::once_flag once;
  static CURLcode init_code = CURLE_OK;
  std::call_once(once, [] { init_code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_code != CURLE_OK) return Internal("curl_global_init failed");
  if (options.base_url.empty()) return InvalidArgument("no base URL");
  return std::unique_ptr<CatalogClient>(new HttpCatalogClient(options, clock));
}

HttpClientStats GetHttpClientStats(const CatalogClient& client) {
  auto* http = dynamic_cast<const HttpCatalogClient*>(&client);
  return http != nullptr ? http->stats() : HttpClientStats{};
}

}  // namespace imagefs::fs
