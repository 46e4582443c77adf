// Where the bytes of an import come from (imports.h): the staging area
// (glance-direct), a web server (web-download) or another image service
// (glance-download). Internal to the import jobs.
#pragma once

#include <memory>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/api/context.h"
#include "service/api/imports.h"

namespace imagefs::service::api {

// One source, opened. Not thread-safe.
class ImportSource {
 public:
  virtual ~ImportSource() = default;
  // Reads up to `n` bytes; 0 at the end. Unavailable when the source fails.
  virtual Result<size_t> Read(void* buf, size_t n) = 0;
  // Edits the image as the source says (glance-download: the remote image's
  // formats and the custom properties glance_download_properties names).
  virtual void Adjust(wire::Image& image) const { (void)image; }
};

// Opens the source of `plan` for `image`. Errors: NotFound (no staged data, the
// remote image or endpoint is missing, HTTP 4xx), PermissionDenied (a host the
// allow-list refuses, at any redirect), Unavailable (unreachable, HTTP 5xx),
// FailedPrecondition (glance-download without Keystone, remote image not active).
Result<std::unique_ptr<ImportSource>> OpenImportSource(ServiceContext& ctx, const ImportPlan& plan,
                                                       const wire::Image& image);

}  // namespace imagefs::service::api
