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
  // Tokens file (see service/auth/authenticator.h); empty: single-project demo mode.
  std::string tokens_file;
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
