// The v1 external data sources of POST/PUT /v1/images (spec 2.3-2.4):
// x-image-meta-location registers data already at an http:// URL (the image is
// active at once, its size from a HEAD), and x-glance-api-copy-from makes imaged
// copy the bytes from such a URL in the background (a web-download import: the
// image is queued, then importing, then active, or back to queued on failure).
// Both URLs pass the http store's filter (the allow-list) or are 400.
#include "service/api/images_v1_sources.h"

#include <boost/json.hpp>

#include "common/log.h"
#include "service/api/imports.h"
#include "service/api/task_runner.h"
#include "service/store/http_store.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

Status CheckSourceUrl(const ServiceContext& ctx, const std::string& url) {
  if (ctx.http_store == nullptr)
    return InvalidArgument("External image locations are not enabled.");
  Status ok = ctx.http_store->CheckUrl(url);
  if (!ok.ok()) return InvalidArgument("Invalid location " + url + ": " + ok.message());
  return Status::Ok();
}

}  // namespace

Result<V1Source> ParseV1Source(const http::Request& req,
                               const std::map<std::string, std::string>& core, bool has_body) {
  V1Source s;
  if (auto it = core.find("location"); it != core.end()) s.location = it->second;
  if (auto it = core.find("copy_from"); it != core.end()) s.copy_from = it->second;
  if (auto h = req.Header("x-glance-api-copy-from")) s.copy_from = std::string(*h);
  int n = (has_body ? 1 : 0) + (s.location.empty() ? 0 : 1) + (s.copy_from.empty() ? 0 : 1);
  if (n > 1)
    return InvalidArgument("More than one data source was given (body, location, copy-from).");
  return s;
}

Status RegisterV1Location(ServiceContext& ctx, const std::string& url, int64_t now,
                          wire::Image& img) {
  IMAGEFS_RETURN_IF_ERROR(CheckSourceUrl(ctx, url));
  if (img.status != wire::ImageStatus::kQueued) {
    return InvalidArgument("The location of an image can only be set while it is queued.");
  }
  Result<uint64_t> size = ctx.http_store->Size(url);
  if (!size.ok())
    return InvalidArgument("Invalid location " + url + ": " + size.status().message());
  img.locations = {wire::Location{url, {}}};
  img.size = static_cast<int64_t>(*size);
  img.status = wire::ImageStatus::kActive;
  img.updated_at = now;
  return Status::Ok();
}

Status CheckV1CopyFrom(const ServiceContext& ctx, const std::string& url) {
  IMAGEFS_RETURN_IF_ERROR(CheckSourceUrl(ctx, url));
  if (ctx.tasks == nullptr) return Unavailable("imaged runs no background tasks");
  return Status::Ok();
}

Status StartV1CopyFrom(ServiceContext& ctx, const http::Request& req, const std::string& id,
                       const std::string& url) {
  json::object method{{"name", kWebDownload}, {"uri", url}};
  wire::Task task =
      NewImportTask(ctx, req, id, json::object{{"method", method}}, {ctx.store.id()});
  IMAGEFS_RETURN_IF_ERROR(BeginImport(ctx, id, kWebDownload, {ctx.store.id()}, "", task));
  ImportPlan plan;
  plan.image_id = id;
  plan.method = kWebDownload;
  plan.uri = url;
  plan.stores = {ctx.store.id()};
  plan.task_id = task.id;
  Status queued = ctx.tasks->Submit([&ctx, plan](std::stop_token) { RunImport(ctx, plan); });
  if (!queued.ok()) {
    FinishTask(ctx, task.id, queued.message());
    return queued;
  }
  IMAGEFS_LOG(INFO, "image {}: v1 copy-from accepted (task {})", id, task.id);
  return Status::Ok();
}

}  // namespace imagefs::service::api
