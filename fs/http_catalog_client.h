// HttpCatalogClient: CatalogClient over libcurl (the only file that includes curl).
//
// Connections are kept alive: a pool of curl easy handles, each keeping its own
// connection to the service, so parallel range reads run on parallel connections
// and sequential calls reuse one. Every attempt is bounded by connect_timeout, by a
// stall timeout (no byte received for stall_timeout), and by the call's deadline.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/clock.h"
#include "fs/catalog_client.h"

namespace imagefs::fs {

struct HttpClientOptions {
  // Base URL without a trailing slash, e.g. "http://127.0.0.1:9292".
  std::string base_url;
  // X-Auth-Token for every request; empty sends none.
  std::string token;
  // Default: 3 s.
  std::chrono::milliseconds connect_timeout{3000};
  // Default: 10 s. Rounded up to whole seconds (libcurl's granularity).
  std::chrono::milliseconds stall_timeout{10000};
  // First and largest delay between retries. Defaults: 50 ms, 2 s.
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{2000};
  // Idle connections kept for reuse. Default: 64.
  int max_idle_connections = 64;
};

struct HttpClientStats {
  uint64_t requests = 0;  // attempts sent (including retries)
  uint64_t retries = 0;
  uint64_t range_bytes = 0;
};

// Creates the client. Calls curl_global_init once per process.
Result<std::unique_ptr<CatalogClient>> NewHttpCatalogClient(const HttpClientOptions& options,
                                                            Clock& clock = SystemClock::Get());

// Counters of a client made by NewHttpCatalogClient (zeros for any other client).
HttpClientStats GetHttpClientStats(const CatalogClient& client);

}  // namespace imagefs::fs
