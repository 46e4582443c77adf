#include "service/daemon_stores.h"

#include <vector>

#include "common/log.h"
#include "service/api/context.h"
#include "service/api/imports.h"
#include "service/store/local_dir_store.h"

namespace imagefs::service {
namespace {

constexpr std::string_view kDefaultStoreId = "fs";

Result<bool> ParseFlag(std::string_view key, std::string_view v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return InvalidArgument("--" + std::string(key) + ": expected true or false, got " +
                         std::string(v));
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string piece(text.substr(0, comma));
    if (!piece.empty()) out.push_back(std::move(piece));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

struct StoreSpec {
  std::string id;
  std::string dir;
};

Result<std::vector<StoreSpec>> ParseStores(const DaemonOptions& o) {
  if (o.stores.empty()) return std::vector<StoreSpec>{{std::string(kDefaultStoreId), o.data_dir + "/images"}};
  std::vector<StoreSpec> specs;
  for (const std::string& item : SplitList(o.stores)) {
    size_t colon = item.find(':');
    if (colon == 0 || colon == std::string::npos || colon + 1 == item.size() ||
        item.compare(0, 9, "os_glance") == 0 || item.substr(0, colon) == "http") {
      return InvalidArgument("--stores wants ID:DIR,... (ids not 'http' nor os_glance*), got '" +
                             item + "'");
    }
    specs.push_back({item.substr(0, colon), item.substr(colon + 1)});
  }
  return specs;
}

Result<std::unique_ptr<ImageStore>> OpenLocal(const DaemonOptions& o, std::string id,
                                              std::string dir) {
  LocalDirStoreOptions opts;
  opts.id = std::move(id);
  opts.dir = std::move(dir);
  opts.max_image_size = o.image_size_cap;
  opts.fsync = o.fsync;
  return NewLocalDirStore(opts);
}

}  // namespace

Result<bool> ApplyStoreOption(DaemonOptions& o, std::string_view key, std::string_view value) {
  if (key == "stores") {
    o.stores = value;
  } else if (key == "default-store") {
    o.default_store = value;
  } else if (key == "import-methods") {
    o.import_methods = value;
  } else if (key == "allowed-hosts") {
    o.allowed_hosts = value;
  } else if (key == "show-multiple-locations") {
    IMAGEFS_ASSIGN_OR_RETURN(o.show_multiple_locations, ParseFlag(key, value));
  } else if (key == "show-image-direct-url") {
    IMAGEFS_ASSIGN_OR_RETURN(o.show_image_direct_url, ParseFlag(key, value));
  } else if (key == "image-cache") {
    IMAGEFS_ASSIGN_OR_RETURN(o.image_cache, ParseFlag(key, value));
  } else {
    return false;
  }
  return true;
}

Result<StoreBundle> OpenStores(const DaemonOptions& options) {
  StoreBundle b;
  Result<http::HostFilter> filter = http::HostFilter::Parse(options.allowed_hosts);
  if (!filter.ok()) return filter.status().Annotate("--allowed-hosts");
  b.filter = std::make_unique<http::HostFilter>(std::move(*filter));
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<StoreSpec> specs, ParseStores(options));
  std::vector<std::unique_ptr<ImageStore>> stores;
  std::vector<StoreInfo> infos;
  for (const StoreSpec& spec : specs) {
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<ImageStore> s, OpenLocal(options, spec.id, spec.dir));
    stores.push_back(std::move(s));
    infos.push_back(StoreInfo{"Local directory store " + spec.id, "file", spec.dir});
  }
  std::string default_id = !options.default_store.empty() ? options.default_store : specs[0].id;
  IMAGEFS_ASSIGN_OR_RETURN(b.stores, StoreSet::Create(std::move(stores), std::move(infos), default_id));
  IMAGEFS_ASSIGN_OR_RETURN(b.staging, OpenLocal(options, "os_glance_staging_store",
                                                options.data_dir + "/staging"));
  b.http = std::make_unique<HttpStore>("http", *b.filter);
  return b;
}

void ConfigureContext(const DaemonOptions& options, StoreBundle& bundle, bool keystone,
                      api::ServiceContext& ctx) {
  ctx.stores = bundle.stores.get();
  ctx.staging = bundle.staging.get();
  ctx.http_store = bundle.http.get();
  ctx.config.show_multiple_locations = options.show_multiple_locations;
  ctx.config.show_image_direct_url = options.show_image_direct_url;
  if (!options.import_methods.empty()) {
    ctx.config.import_methods = SplitList(options.import_methods);
  } else {
    ctx.config.import_methods = {api::kGlanceDirect, api::kWebDownload, api::kCopyImage};
    if (keystone) ctx.config.import_methods.push_back(api::kGlanceDownload);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
  };
  IMAGEFS_LOG(INFO, "stores: {} (default {}){}; import methods: {}; allowed hosts: {}",
              join(bundle.stores->ids()), bundle.stores->default_id(),
              bundle.stores->multi_store() ? ", multi-store" : "",
              join(ctx.config.import_methods), bundle.filter->text());
}

}  // namespace imagefs::service
