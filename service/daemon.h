// imaged's process: options, startup (lock the data directory, open the catalog and
// the store, recover, authenticate, listen) and shutdown on SIGTERM/SIGINT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace imagefs::service {

struct DaemonOptions {
  // "HOST:PORT"; port 0 picks a free port. Default: 127.0.0.1:9292.
  std::string listen = "127.0.0.1:9292";
  // Holds catalog/ (RocksDB), images/ (the local store) and the lock file. Required.
  std::string data_dir;
  // The backup store (backups of images, apart from the image store); several
  // imageds may share one. Default: <data_dir>/backups.
  std::string backup_dir;
  // Tokens file (see service/auth/authenticator.h); empty: single-project demo mode.
  std::string tokens_file;
  // Keystone mode: a JSON file naming the identity service and imaged's service
  // user (service/auth/keystone_authenticator.h). Excludes tokens_file.
  std::string keystone_file;
  // Where to write the bound port, once listening (for --listen HOST:0). Optional.
  std::string port_file;
  // Most simultaneous connections. Default: 512.
  size_t max_connections = 512;
  // Largest image accepted, bytes. Default: 1 TiB.
  uint64_t image_size_cap = uint64_t{1} << 40;
  // fsync catalog writes and committed image data. Default: true.
  bool fsync = true;
  // Log level: debug, info, warn, error. Default: info (or IMAGEFS_LOG).
  std::string log_level;

  // Image stores and imports (service/daemon_stores.h; docs/api.md):
  // "ID:DIR,ID:DIR..." image stores; more than one is multi-store mode.
  // Default: one store "fs" in <data_dir>/images.
  std::string stores;
  // The store uploads go to without X-Image-Meta-Store. Default: "fs", or the first
  // of `stores`.
  std::string default_store;
  // Import methods offered, comma-separated. Default: glance-direct, web-download,
  // copy-image, and glance-download in Keystone mode.
  std::string import_methods;
  // Hosts web-download, glance-download and http locations may reach
  // (service/http/host_filter.h). Default: 127.0.0.0/8,::1 (loopback only).
  std::string allowed_hosts = "127.0.0.0/8,::1";
  // Show `locations` and `direct_url` in images (Glance's show_multiple_locations,
  // show_image_direct_url). Default: false.
  bool show_multiple_locations = false;
  bool show_image_direct_url = false;
  // The image cache and its API (/v2/cache). Default: false.
  bool image_cache = false;
};

// Checks the options before anything starts.
Status Validate(const DaemonOptions& options);

// Parses argv (flags, and --config FILE holding the same keys as JSON, flags
// winning). InvalidArgument with a usage line on bad input; `*help` set for --help.
Result<DaemonOptions> ParseDaemonArgs(int argc, char** argv, bool* help);

std::string DaemonUsage();

// Runs until SIGTERM or SIGINT. Returns the process exit code.
int RunDaemon(const DaemonOptions& options);

}  // namespace imagefs::service
