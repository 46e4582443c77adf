// CatalogClient: what the mount asks of the Images API (imaged, or a plain Glance).
// The seam between the filesystem and the network: HttpCatalogClient speaks HTTP,
// tests use FakeCatalogClient (tests/testing/fs/).
//
// Calls the mount depends on (docs/semantics.md §10):
//   GET   /v2/images?limit=1000[&marker=]          ListImages (all pages, following `next`)
//   GET   /v2/images?updated_at=gt:T&sort=updated_at:asc&limit=1000   ListImages(after)
//   GET   /v2/images/{id}                          GetImage
//   GET   /v2/images/{id}/blocks                   GetBlockMap (imagefs extension)
//   GET   /v2/images/{id}/file  Range: bytes=a-b   ReadRange
//   PATCH /v2/images/{id}  (v2.1 json-patch)       PatchImage
//
// Errors, for every call: NotFound (404), PermissionDenied (403), Unauthenticated
// (401), InvalidArgument (400), AlreadyExists (409), OutOfRange (416); Unavailable
// when the service could not be reached or kept failing (5xx, resets, stalls) until
// the deadline; DeadlineExceeded when the deadline passed first.
//
// Implementations are thread-safe and hold no lock of the caller's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::fs {

using Deadline = std::chrono::steady_clock::time_point;

struct CallOptions {
  // The call fails with Unavailable/DeadlineExceeded rather than run past this.
  Deadline deadline = Deadline::max();
  // Retry transient failures (connection refused or reset, 5xx, stalls) with
  // exponential backoff and jitter until the deadline. Non-idempotent calls (PATCH)
  // are retried only when the request provably never reached the service.
  bool retry = true;
};

struct ListFilter {
  // Only images updated after this second (µs since the epoch, whole seconds: the
  // API's resolution), sorted by updated_at ascending. nullopt: the whole default list.
  std::optional<int64_t> updated_after;
};

struct ImageListing {
  std::vector<wire::Image> images;
  // The service's clock when it answered (the HTTP Date header of the first page),
  // when it said; lets the caller tell which seconds are settled.
  std::optional<int64_t> server_time_us;
};

class CatalogClient {
 public:
  virtual ~CatalogClient() = default;

  // Every image of the default list (the project's own, public, shared-and-accepted,
  // not hidden), all pages.
  virtual Result<ImageListing> ListImages(const ListFilter& filter, const CallOptions& call) = 0;

  virtual Result<wire::Image> GetImage(const std::string& id, const CallOptions& call) = 0;

  // The per-block digests of the image's data, or nullopt when the service has none
  // for it (404: a plain Glance has no /blocks; an image without data).
  virtual Result<std::optional<wire::BlockMap>> GetBlockMap(const std::string& id,
                                                            const CallOptions& call) = 0;

  // Exactly bytes [offset, offset + length) of the image's data. OutOfRange when the
  // range is not inside the data; FailedPrecondition when the image has no data (204).
  virtual Result<std::string> ReadRange(const std::string& id, uint64_t offset, uint64_t length,
                                        const CallOptions& call) = 0;

  // Applies a v2.1 JSON-patch (`patch_json` is the array) and returns the updated image.
  virtual Result<wire::Image> PatchImage(const std::string& id, const std::string& patch_json,
                                         const CallOptions& call) = 0;
};

}  // namespace imagefs::fs
