// External data sources of the v1 API (x-image-meta-location, x-glance-api-copy-from);
// see images_v1_sources.cc. Internal to images_v1.cc.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/api/context.h"
#include "service/http/message.h"

namespace imagefs::service::api {

struct V1Source {
  std::string location;   // x-image-meta-location
  std::string copy_from;  // x-glance-api-copy-from (or x-image-meta-copy_from)
};

// The request's data source; 400 when more than one of body, location and
// copy-from is given.
Result<V1Source> ParseV1Source(const http::Request& req,
                               const std::map<std::string, std::string>& core, bool has_body);

// Sets `url` as the queued image's only location and activates it with the size a
// HEAD reports. 400 for a URL the http store refuses or cannot size, or an image
// that is not queued.
Status RegisterV1Location(ServiceContext& ctx, const std::string& url, int64_t now,
                          wire::Image& img);

// 400 unless the http store accepts `url`; 503 without a task runner.
Status CheckV1CopyFrom(const ServiceContext& ctx, const std::string& url);

// Starts the background copy of `url` into the (queued) image `id`.
Status StartV1CopyFrom(ServiceContext& ctx, const http::Request& req, const std::string& id,
                       const std::string& url);

}  // namespace imagefs::service::api
