// imaged's image stores, staging area and outgoing-HTTP policy, built from the
// daemon options at startup (the store and import options of DaemonOptions).
#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"
#include "service/daemon.h"
#include "service/http/host_filter.h"
#include "service/store/http_store.h"
#include "service/store/store_set.h"

namespace imagefs::service {

namespace api {
struct ServiceContext;
}  // namespace api

struct StoreBundle {
  std::unique_ptr<http::HostFilter> filter;  // allowed hosts (outlives `http`)
  std::unique_ptr<StoreSet> stores;          // every image store
  std::unique_ptr<ImageStore> staging;       // PUT .../stage data (<data_dir>/staging)
  std::unique_ptr<HttpStore> http;           // the read-only "http" store
};

// Applies one store/import option (`key` without dashes). Returns false when `key`
// is not one of them; InvalidArgument for a bad value.
Result<bool> ApplyStoreOption(DaemonOptions& o, std::string_view key, std::string_view value);

// Opens (creating directories) every store of `options`. InvalidArgument for a bad
// --stores, --default-store or --allowed-hosts.
Result<StoreBundle> OpenStores(const DaemonOptions& options);

// Points `ctx` at the bundle and sets the import and location configuration.
// `keystone`: glance-download is offered by default (it needs Keystone's catalog).
void ConfigureContext(const DaemonOptions& options, StoreBundle& bundle, bool keystone,
                      api::ServiceContext& ctx);

}  // namespace imagefs::service
