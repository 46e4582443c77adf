// The state every API handler works with: the catalog, the image store, the clock and
// the deployment's configuration. Built once by the daemon; handlers hold references.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "service/catalog/catalog.h"
#include "service/store/image_store.h"

namespace imagefs::service::api {

struct ServiceConfig {
  ListLimits list_limits;
  // Glance's quotas; exceeding one answers 413. Negative: unlimited.
  int image_property_quota = 128;  // Default: 128
  int image_tag_quota = 128;       // Default: 128
  int image_member_quota = 128;    // Default: 128
  // Largest image accepted (image_size_cap). Default: 1 TiB.
  uint64_t image_size_cap = uint64_t{1} << 40;
  // Largest JSON request body (Glance's max_request_body_size). Default: 112 KiB.
  size_t max_json_body = 114688;
  // Import methods advertised and accepted (interoperable import).
  std::vector<std::string> import_methods;
  // Render `locations` / `direct_url` (Glance's show_multiple_locations /
  // show_image_direct_url). Default: off, as Glance.
  bool show_multiple_locations = false;
  bool show_image_direct_url = false;
};

struct ServiceContext {
  Catalog& catalog;
  ImageStore& store;
  Clock& clock;
  ServiceConfig config;
};

}  // namespace imagefs::service::api
