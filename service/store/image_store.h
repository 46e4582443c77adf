// ImageStore: where image bytes live, keyed by image id. The local-directory store is
// the default; a Swift/radosgw object store can implement the same interface.
//
// Durability contract: bytes become visible to Open() only after
// UploadWriter::Commit() returns OK, and are then durable (fsync of the data and of
// the directory entry). A crash before that leaves nothing Open() can see, and
// RemoveIncomplete() at the next start deletes whatever the upload left behind.
//
// Implementations are safe for concurrent use from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/range_reader.h"
#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::service {

// What an upload computed while it streamed.
struct UploadResult {
  uint64_t size = 0;
  std::string md5_hex;     // -> Image::checksum
  std::string sha512_hex;  // -> Image::os_hash_value (os_hash_algo "sha512")
  uint32_t block_size = 0;
  std::vector<std::string> block_digests;  // raw SHA-256 of each block_size block
  std::vector<uint32_t> block_crc32c;      // CRC-32C of the same blocks
};

// One upload in progress. Not thread-safe: one thread feeds it. Destroying it before
// Commit() discards the bytes (and any temporary file).
class UploadWriter {
 public:
  virtual ~UploadWriter() = default;

  // Appends bytes. Hashing (md5, sha512, per-block sha256) and writing run in
  // parallel with the caller; Append blocks only when that pipeline is full.
  // ResourceExhausted once the total passes the store's max image size or the disk
  // is full; the writer is then failed and must be destroyed.
  virtual Status Append(const void* data, size_t n) = 0;

  virtual uint64_t bytes_appended() const = 0;

  // Waits for hashing and writing to finish and makes the data durable (fsync),
  // still invisible to ImageStore::Open. Call once.
  virtual Result<UploadResult> Finish() = 0;

  // REQUIRES: Finish() returned OK. The uploaded bytes, for format inspection.
  virtual RangeReader& Data() = 0;

  // REQUIRES: Finish() returned OK. Publishes the bytes under the image id, durably
  // (rename + directory fsync), replacing nothing: AlreadyExists if the id has data.
  virtual Status Commit() = 0;
};

class ImageStore {
 public:
  virtual ~ImageStore() = default;

  // The store id shown in `stores` and /v2/info/stores ("fs" for the local store).
  virtual const std::string& id() const = 0;

  virtual Result<std::unique_ptr<UploadWriter>> BeginUpload(const std::string& image_id) = 0;

  // The committed bytes of `image_id`; NotFound when there are none.
  virtual Result<std::unique_ptr<RangeReader>> Open(const std::string& image_id) = 0;

  // Deletes the committed bytes; OK when there were none.
  virtual Status Remove(const std::string& image_id) = 0;

  // Ids that have committed bytes (startup reconciliation with the catalog).
  virtual Result<std::vector<std::string>> List() = 0;

  // Deletes the leftovers of uploads that never committed. Called once at startup,
  // before any upload begins.
  virtual Status RemoveIncomplete() = 0;

  // Bytes free for new uploads (statvfs), for /v2/info and disk-full errors.
  virtual Result<uint64_t> FreeBytes() = 0;

  // The URL of `image_id`'s data in this store, as `locations` shows it (Glance:
  // "file:///var/lib/glance/images/<id>"). Default: "imagefs://<id()>/<image_id>".
  virtual std::string LocationOf(const std::string& image_id) const {
    return "imagefs://" + id() + "/" + image_id;
  }
};

struct LocalDirStoreOptions {
  // Directory holding the data; created if missing. Required.
  std::string dir;
  // Store id. Default: "fs".
  std::string id = "fs";
  // Block size of the per-block digests. Default: 1 MiB.
  uint32_t block_size = wire::kDefaultBlockSize;
  // Largest image accepted (Glance's image_size_cap). Default: 1 TiB.
  uint64_t max_image_size = uint64_t{1} << 40;
  // fsync data and directories on commit. Default: true (tests of crash safety need it).
  bool fsync = true;
};

Result<std::unique_ptr<ImageStore>> NewLocalDirStore(const LocalDirStoreOptions& options);

}  // namespace imagefs::service
