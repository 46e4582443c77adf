// ImageFs: the filesystem's logic, free of FUSE (fuse_adapter.cc translates). Every
// operation returns a Result; the adapter maps errors to errno in one place.
//
//   /            images/  by-id/  members/  backups/   (0555)
//   images/<name>   one file per listed image, named per name_map.h
//   by-id/<id>      the same inode (nlink 2); also images found by id only (nlink 1)
//   members/, backups/   sharing and backups (NamespaceDirs, §11, §12)
//
// Files: active images are 0444 with their size and mtime = updated_at; other
// statuses are 0000 with size 0 and refuse open with PermissionDenied. The contract
// is docs/semantics.md; section numbers below refer to it. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "cache/block_cache.h"
#include "common/clock.h"
#include "fs/block_maps.h"
#include "fs/catalog_client.h"
#include "fs/catalog_state.h"
#include "fs/catalog_sync.h"
#include "fs/namespace_dirs.h"
#include "fs/passthrough.h"
#include "fs/reader.h"
#include "fs/state_store.h"

namespace imagefs::fs {

struct ImageFsOptions {
  uint32_t uid = 0;
  uint32_t gid = 0;
  SyncOptions sync;
  ReaderOptions reader;
  // The mount's project (backups/ needs it in the API's URLs); empty: none.
  std::string project;
  // How long `ln` into backups/ or images/ waits for the new backup or image.
  std::chrono::milliseconds backup_wait{60000};
  // Check fetched blocks by the recorded CRC-32Cs where the block map has them;
  // false: always by SHA-256 (-o verify=sha256).
  bool verify_by_crc = true;
};

struct Attr {
  uint64_t ino = 0;
  mode_t mode = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;
  int64_t mtime_us = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t blksize = 0;
};

struct DirItem {
  std::string_view name;
  Attr attr;             // attr.ino and attr.mode are always set; the rest for plus
  uint64_t next_offset;  // the offset that resumes after this entry
};

struct OpenResult {
  uint64_t fh = 0;
  bool keep_cache = false;
  bool direct_io = false;  // FOPEN_DIRECT_IO
  int backing_id = 0;      // > 0: the kernel reads this open from that backing file
};

struct FsTotals {
  uint64_t images = 0;
  uint64_t bytes = 0;
};

class ImageFs {
 public:
  // All references must outlive the ImageFs. `store` may be null.
  ImageFs(const ImageFsOptions& options, CatalogClient& client, cache::BlockCache& cache,
          StateStore* store, Clock& clock);
  ~ImageFs();
  ImageFs(const ImageFs&) = delete;
  ImageFs& operator=(const ImageFs&) = delete;

  // Loads persisted state and starts refreshing (§6). `notifier` and `passthrough`
  // (null: never pass through) must outlive this.
  void Start(KernelNotifier* notifier, KernelPassthrough* passthrough = nullptr);

  // NotFound (ENOENT) for unknown names; Unavailable (EIO) for an unknown by-id/<uuid>
  // while the service is down (§6).
  Result<Attr> Lookup(uint64_t parent, std::string_view name);
  Result<Attr> GetAttr(uint64_t ino);

  // A handle on a snapshot of the directory: readdir pages through one listing.
  Result<uint64_t> OpenDir(uint64_t ino);
  // Calls `visit` for entries after `offset` (0 = from the start, including "." and
  // "..") until it returns false. `plus` fills in full attributes.
  Status ReadDir(uint64_t dir_handle, uint64_t offset, bool plus,
                 const std::function<bool(const DirItem&)>& visit);
  void ReleaseDir(uint64_t dir_handle);

  // PermissionDenied (EACCES) for write access or an image that is not active (§4).
  Result<OpenResult> Open(uint64_t ino, int flags);
  Result<ReadResult> Read(uint64_t fh, uint64_t offset, size_t size);
  void Release(uint64_t fh);

  // §5. Foreign namespaces (security.*, system.*, trusted.*) never cause a request.
  Result<std::string> GetXattr(uint64_t ino, std::string_view name);
  Result<std::vector<std::string>> ListXattr(uint64_t ino);
  Status SetXattr(uint64_t ino, std::string_view name, std::string_view value, int flags);
  Status RemoveXattr(uint64_t ino, std::string_view name);

  // The few writes the mount takes (§11, §12); anything else is Unimplemented, which
  // the adapter answers with EROFS.
  // create: members/<image>/<project> adds a member. The handle reads nothing.
  Result<std::pair<Attr, OpenResult>> Create(uint64_t parent, std::string_view name);
  // unlink: members/<image>/<project> removes it; backups/<name> deletes the backup.
  Status Unlink(uint64_t parent, std::string_view name);
  // link: an image into backups/ takes a backup; a backup into images/ restores it.
  Result<Attr> Link(uint64_t ino, uint64_t new_parent, std::string_view new_name);
  // setattr: accepted (and ignored) on member files, so `touch` works on them.
  Result<Attr> SetAttr(uint64_t ino);

  FsTotals Totals() const;
  const Reader& reader() const { return reader_; }
  const PassthroughOpens& passthrough() const { return passthrough_; }
  bool service_down() const { return sync_.service_down(); }

 private:
  Attr DirAttr(uint64_t ino) const;
  Attr FileAttr(const ImageNode& node) const;
  Attr NsAttr(const NsNode& node) const;
  Result<ImageNode> LiveImage(uint64_t ino);
  Result<OpenResult> OpenImage(uint64_t ino, const wire::Image& img, int flags);
  Result<OpenResult> OpenBackup(uint64_t ino, const NsNode& node, int flags);
  OpenResult OpenSource(uint64_t ino, ImageSource source, int flags);
  Status SetMemberStatus(uint64_t ino, std::string_view value);
  Result<Attr> RestoreBackup(uint64_t backup_ino, std::string_view name);
  CallOptions WriteCall() const;

  const ImageFsOptions options_;
  CatalogClient& client_;
  cache::BlockCache& cache_;
  Clock& clock_;
  const int64_t start_us_;
  CatalogState state_;
  CatalogSync sync_;
  NamespaceDirs ns_;
  BlockMaps block_maps_;
  Reader reader_;
  PassthroughOpens passthrough_;
};

}  // namespace imagefs::fs
