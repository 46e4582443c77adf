#include "service/api/import_source.h"

#include "common/wire/image_codec.h"
#include "service/auth/keystone_authenticator.h"
#include "service/http/fetch.h"
#include "service/store/http_store.h"

namespace imagefs::service::api {
namespace {

// Largest remote image document read.
constexpr size_t kMaxRemoteJson = size_t{1} << 20;

class StagedSource final : public ImportSource {
 public:
  explicit StagedSource(std::unique_ptr<RangeReader> reader) : reader_(std::move(reader)) {}
  Result<size_t> Read(void* buf, size_t n) override {
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, reader_->ReadAt(offset_, buf, n));
    offset_ += got;
    return got;
  }

 private:
  std::unique_ptr<RangeReader> reader_;
  uint64_t offset_ = 0;
};

class HttpSource : public ImportSource {
 public:
  explicit HttpSource(std::unique_ptr<http::ResponseStream> stream) : stream_(std::move(stream)) {}
  Result<size_t> Read(void* buf, size_t n) override { return stream_->Read(buf, n); }

 private:
  std::unique_ptr<http::ResponseStream> stream_;
};

// True when `key` starts with one of glance_download_properties' prefixes (never
// for the reserved os_glance namespace).
bool Copied(const std::vector<std::string>& prefixes, const std::string& key) {
  if (key.rfind("os_glance", 0) == 0) return false;
  for (const auto& p : prefixes) {
    if (key.rfind(p, 0) == 0) return true;
  }
  return false;
}

class RemoteSource final : public HttpSource {
 public:
  RemoteSource(std::unique_ptr<http::ResponseStream> stream, wire::Image remote,
               std::vector<std::string> patterns)
      : HttpSource(std::move(stream)), remote_(std::move(remote)), patterns_(std::move(patterns)) {}

  void Adjust(wire::Image& image) const override {
    image.disk_format = remote_.disk_format;
    image.container_format = remote_.container_format;
    for (const auto& [k, v] : remote_.properties) {
      if (Copied(patterns_, k)) image.properties[k] = v;
    }
  }

 private:
  const wire::Image remote_;
  const std::vector<std::string> patterns_;
};

Status AnswerStatus(int status, const std::string& what) {
  std::string m = what + " answered HTTP " + std::to_string(status);
  return status >= 400 && status < 500 ? NotFound(m) : Unavailable(m);
}

Result<std::unique_ptr<http::ResponseStream>> Get(ServiceContext& ctx, const std::string& url,
                                                  const std::string& token) {
  if (ctx.http_store == nullptr) return FailedPrecondition("imaged has no http access configured");
  http::FetchOptions options;
  if (!token.empty()) options.headers.emplace_back("X-Auth-Token", token);
  IMAGEFS_ASSIGN_OR_RETURN(
      std::unique_ptr<http::ResponseStream> r,
      http::FetchAllowed(ctx.http_store->client(), ctx.http_store->filter(), url, options));
  if (r->status() != 200) return AnswerStatus(r->status(), url);
  return r;
}

Result<std::string> ReadAll(http::ResponseStream& stream, size_t limit) {
  std::string out;
  char buf[16384];
  for (;;) {
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, stream.Read(buf, sizeof buf));
    if (got == 0) return out;
    out.append(buf, got);
    if (out.size() > limit) return ResourceExhausted("remote answer too large");
  }
}

Result<std::unique_ptr<ImportSource>> OpenRemote(ServiceContext& ctx, const ImportPlan& plan) {
  if (ctx.endpoints == nullptr) {
    return FailedPrecondition("glance-download needs an identity service catalog (Keystone mode)");
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::string endpoint,
                           ctx.endpoints->FindEndpoint(plan.auth_token, "image", plan.remote_region,
                                                       plan.remote_interface));
  if (endpoint.size() >= 3 && endpoint.compare(endpoint.size() - 3, 3, "/v2") == 0) {
    endpoint.resize(endpoint.size() - 3);
  }
  std::string url = endpoint + "/v2/images/" + plan.remote_image_id;
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<http::ResponseStream> meta, Get(ctx, url, plan.auth_token));
  IMAGEFS_ASSIGN_OR_RETURN(std::string text, ReadAll(*meta, kMaxRemoteJson));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image remote, wire::ParseV2Image(text));
  if (remote.status != wire::ImageStatus::kActive) {
    return FailedPrecondition("remote image " + plan.remote_image_id + " is not active");
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<http::ResponseStream> data,
                           Get(ctx, url + "/file", plan.auth_token));
  return std::unique_ptr<ImportSource>(std::make_unique<RemoteSource>(
      std::move(data), std::move(remote), ctx.config.glance_download_properties));
}

}  // namespace

Result<std::unique_ptr<ImportSource>> OpenImportSource(ServiceContext& ctx, const ImportPlan& plan,
                                                       const wire::Image& image) {
  if (plan.method == kGlanceDirect) {
    if (ctx.staging == nullptr) return FailedPrecondition("imaged has no staging area");
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> reader, ctx.staging->Open(image.id));
    return std::unique_ptr<ImportSource>(std::make_unique<StagedSource>(std::move(reader)));
  }
  if (plan.method == kWebDownload) {
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<http::ResponseStream> r, Get(ctx, plan.uri, ""));
    return std::unique_ptr<ImportSource>(std::make_unique<HttpSource>(std::move(r)));
  }
  if (plan.method == kGlanceDownload) return OpenRemote(ctx, plan);
  return InvalidArgument("import method " + plan.method + " has no source");
}

}  // namespace imagefs::service::api
