// The upload of image data, shared by v2 (PUT .../file) and v1 (POST/PUT with a
// body): queued -> saving (compare-and-swap in the catalog), the body streamed into
// the store while it hashes, the bytes checked against disk_format, committed
// (fsync + rename), and then ONE catalog batch: status active, size, checksum,
// os_hash_value, virtual_size and the block map. Any failure before that batch puts
// the image back (queued for v2, killed for v1); a crash leaves it saving, which the
// next start resets (recovery.h). So no active image ever lacks its bytes.
//
// The same pieces serve the interoperable import (service/api/import_jobs.cc):
// StoreData streams any byte source into a store with the same hashing, format
// check and commit, and ActivateStored is the one catalog batch.
#pragma once

#include <functional>
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
  // The store that receives the bytes. Default (null): ctx.store's default store.
  ImageStore* target = nullptr;
  // Check the bytes against disk_format (415). Default: true (staging skips it).
  bool check_format = true;
};

// A source of bytes: reads up to `n` into `buf`, 0 at the end.
// The size a v2 upload announces in x-openstack-image-size (none if absent);
// InvalidArgument if it is not a non-negative integer.
Result<std::optional<uint64_t>> DeclaredSize(const http::Request& req);

using ReadFn = std::function<Result<size_t>(void* buf, size_t n)>;

// What StoreData put in a store.
struct StoredData {
  UploadResult upload;
  std::optional<int64_t> virtual_size;  // from the disk format's header; null for 0 bytes
};

// REQUIRES: the caller may write the image. Errors: 400 formats unset (the image
// stays queued), 409 not queued, 415 bytes do not match disk_format, 413 too big,
// IsDeletedDuringUpload (the image was deleted meanwhile), the body's read errors.
Result<wire::Image> RunUpload(ServiceContext& ctx, http::Request& req, const std::string& id,
                              const UploadOptions& options);

// True for RunUpload's error when the image was deleted while its bytes streamed in
// (Glance answers 410 Gone).
bool IsDeletedDuringUpload(const Status& status);

// Streams `read` into `store` under `image.id`, hashing as it goes; checks the
// announced size and md5 of `options` and that the bytes are what
// `image.disk_format` says (415 otherwise); then commits (durable, visible). The
// catalog is not touched. On error nothing is left in `store`. Errors as RunUpload's,
// plus the source's and AlreadyExists when `store` already holds the image.
Result<StoredData> StoreData(ImageStore& store, const wire::Image& image, const ReadFn& read,
                             const UploadOptions& options);

// The catalog batch that makes stored bytes the image's data: from `expected` to
// active with size, checksum, os_hash_*, virtual_size and the block map, `store_id`
// added to `stores` and its location to `locations`; `extra` (optional) edits the
// image in the same batch. IsDeletedDuringUpload when the image is no longer in
// `expected`.
Result<wire::Image> ActivateStored(ServiceContext& ctx, const std::string& id,
                                   const StoredData& data, wire::ImageStatus expected,
                                   const std::string& store_id,
                                   const std::function<void(wire::Image&)>& extra = {});

// Adds `store_id` to `stores` (sorted) and its location to `locations` of `img`.
void AddStoreTo(ServiceContext& ctx, wire::Image& img, const std::string& store_id);

}  // namespace imagefs::service::api
