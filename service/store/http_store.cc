#include "service/store/http_store.h"

#include <charconv>
#include <mutex>

#include "common/thread_annotations.h"
#include "service/http/fetch.h"

namespace imagefs::service {
namespace {

Status StatusOfAnswer(int status, std::string_view url) {
  std::string m = "HTTP " + std::to_string(status) + " from " + std::string(url);
  if (status >= 400 && status < 500) return NotFound(m);
  return Unavailable(m);
}

std::optional<uint64_t> ContentLength(const http::ResponseStream& r) {
  std::optional<std::string_view> h = r.Header("Content-Length");
  uint64_t v = 0;
  if (!h) return std::nullopt;
  auto [end, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
  if (ec != std::errc() || end != h->data() + h->size()) return std::nullopt;
  return v;
}

// Reads bytes of an http location. Thread-safe (one read at a time).
class HttpRangeReader final : public RangeReader {
 public:
  HttpRangeReader(HttpStore& store, std::string url, uint64_t size)
      : store_(store), url_(std::move(url)), size_(size) {}

  uint64_t size() const override { return size_; }

  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset >= size_ || n == 0) return size_t{0};
    if (stream_ == nullptr || position_ != offset) IMAGEFS_RETURN_IF_ERROR(Reopen(offset));
    size_t done = 0;
    auto* out = static_cast<char*>(buf);
    while (done < n) {
      IMAGEFS_ASSIGN_OR_RETURN(size_t got, stream_->Read(out + done, n - done));
      if (got == 0) break;
      done += got;
    }
    position_ += done;
    return done;
  }

 private:
  Status Reopen(uint64_t offset) REQUIRES(mu_) {
    stream_.reset();
    http::FetchOptions options;
    if (offset > 0) options.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
    IMAGEFS_ASSIGN_OR_RETURN(stream_, http::FetchAllowed(store_.client(), store_.filter(), url_, options));
    int status = stream_->status();
    if (status != (offset > 0 ? 206 : 200)) {
      stream_.reset();
      return StatusOfAnswer(status, url_);
    }
    position_ = offset;
    return Status::Ok();
  }

  HttpStore& store_;
  const std::string url_;
  const uint64_t size_;
  std::mutex mu_;
  std::unique_ptr<http::ResponseStream> stream_ GUARDED_BY(mu_);
  uint64_t position_ GUARDED_BY(mu_) = 0;
};

}  // namespace

HttpStore::HttpStore(std::string id, const http::HostFilter& filter, http::ClientOptions options)
    : id_(std::move(id)), filter_(filter), client_(std::move(options)) {}

Status HttpStore::CheckUrl(std::string_view url) const {
  IMAGEFS_ASSIGN_OR_RETURN(http::Url parsed, http::ParseHttpUrl(url));
  return filter_.CheckUrl(parsed);
}

Result<uint64_t> HttpStore::Size(std::string_view url) {
  for (const char* method : {"HEAD", "GET"}) {
    http::FetchOptions options;
    options.method = method;
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<http::ResponseStream> r,
                             http::FetchAllowed(client_, filter_, url, options));
    if (r->status() == 405 || r->status() == 501) continue;  // HEAD refused
    if (r->status() != 200) return StatusOfAnswer(r->status(), url);
    if (std::optional<uint64_t> n = ContentLength(*r)) return *n;
    return InvalidArgument("no Content-Length from " + std::string(url));
  }
  return Unavailable("cannot learn the size of " + std::string(url));
}

Result<std::unique_ptr<RangeReader>> HttpStore::Open(std::string_view url, uint64_t size) {
  IMAGEFS_RETURN_IF_ERROR(CheckUrl(url));
  return std::unique_ptr<RangeReader>(std::make_unique<HttpRangeReader>(*this, std::string(url), size));
}

}  // namespace imagefs::service
