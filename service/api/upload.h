// The upload of image data, shared by v2 (PUT .../file) and v1 (POST/PUT with a
// body): queued -> saving (compare-and-swap in the catalog), the body streamed into
// the store while it hashes, the bytes checked against disk_format, committed
// (fsync + rename), and then ONE catalog batch: status active, size, checksum,
// os_hash_value, virtual_size and the block map. Any failure before that batch puts
// the image back (queued for v2, killed for v1); a crash leaves it saving, which the
// next start resets (recovery.h). So no active image ever lacks its bytes.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/api/context.h"
#include "service/http/message.h"

namespace imagefs::service::api {

struct UploadOptions {
  // The client's announced size (x-openstack-image-size, x-image-meta-size):
  // a different byte count is 400.
  std::optional<uint64_t> declared_size;
  // The client's announced md5 (x-image-meta-checksum): a different md5 is 400.
  std::optional<std::string> expected_md5;
  // v1: a failed upload leaves the image killed (v2: queued again).
  bool kill_on_failure = false;
};

// REQUIRES: the caller may write the image. Errors: 400 formats unset (the image
// stays queued), 409 not queued, 415 bytes do not match disk_format, 413 too big,
// IsDeletedDuringUpload (the image was deleted meanwhile), the body's read errors.
Result<wire::Image> RunUpload(ServiceContext& ctx, http::Request& req, const std::string& id,
                              const UploadOptions& options);

// True for RunUpload's error when the image was deleted while its bytes streamed in
// (Glance answers 410 Gone).
bool IsDeletedDuringUpload(const Status& status);

}  // namespace imagefs::service::api
