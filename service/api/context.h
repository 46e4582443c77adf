// The state every API handler works with: the catalog, the image store, the clock and
// the deployment's configuration. Built once by the daemon; handlers hold references.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "service/catalog/catalog.h"
#include "service/store/image_store.h"

namespace imagefs::service::backup {
class BackupService;
}  // namespace imagefs::service::backup
namespace imagefs::service::auth {
class EndpointCatalog;
}  // namespace imagefs::service::auth
namespace imagefs::service {
class StoreSet;
class HttpStore;
}  // namespace imagefs::service

namespace imagefs::service::api {

class TaskRunner;
class ImageCache;

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
  // Most locations per image (413 beyond). Default: 10.
  int image_location_quota = 10;
  // How long a finished task is kept (Glance's task_time_to_live). Default: 48 h.
  int64_t task_time_to_live_micros = int64_t{48} * 3600 * 1000000;
  // Prefixes of the custom properties glance-download copies from the remote
  // image. Default: Glance's [glance_download_properties] extra_properties.
  std::vector<std::string> glance_download_properties = {"hw_", "trait:", "os_distro",
                                                         "os_secure_boot", "os_type"};
};

struct ServiceContext {
  Catalog& catalog;
  ImageStore& store;
  Clock& clock;
  ServiceConfig config;
  // The backups API's work (service/backup/); null: the backups API answers 503.
  backup::BackupService* backups = nullptr;
  // The identity service's catalog (Keystone mode); null otherwise. glance-download
  // finds the remote image service with it.
  auth::EndpointCatalog* endpoints = nullptr;
  // Every image store (multi-store); `store` above is this same set. Null: `store`
  // is a single store.
  StoreSet* stores = nullptr;
  // Where PUT .../stage keeps data until glance-direct imports it; null: no staging.
  ImageStore* staging = nullptr;
  // The read-only http store (locations, web-download); null: none.
  HttpStore* http_store = nullptr;
  // Runs imports in the background; null: imports answer 503.
  TaskRunner* tasks = nullptr;
  // The image cache (cache API); null: the cache API answers 404.
  ImageCache* cache = nullptr;
};

}  // namespace imagefs::service::api
