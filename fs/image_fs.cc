#include "fs/image_fs.h"

#include <fcntl.h>

#include <sys/stat.h>

#include "common/log.h"
#include "common/uuid.h"
#include "fs/xattr_map.h"

namespace imagefs::fs {
namespace {

constexpr uint32_t kFileBlksize = 1u << 20;  // cp/dd pick their buffer from st_blksize

struct DirHandle {
  uint64_t ino;
  std::shared_ptr<const DirSnapshot> snapshot;
};

struct OpenFile {
  std::unique_ptr<ReadStream> stream;
};

}  // namespace

ImageFs::ImageFs(const ImageFsOptions& options, CatalogClient& client, cache::BlockCache& cache,
                 StateStore* store, Clock& clock)
    : options_(options),
      client_(client),
      cache_(cache),
      clock_(clock),
      start_us_(clock.WallMicros()),
      sync_(options.sync, client, state_, store, clock),
      block_maps_(client, store, clock, options.sync.retry_deadline),
      reader_(options.reader, client, cache, clock) {}

ImageFs::~ImageFs() {
  ReaderStats r = reader_.stats();
  cache::BlockCacheStats c = cache_.stats();
  IMAGEFS_LOG_INFO(
      "reads {} (demand fetches {}, read-ahead runs {}, refused {}); cache hits {} misses {} "
      "fetches {} ({} MiB) joined {} corrupt {} evicted {}",
      r.reads, r.demand_fetches, r.prefetch_runs, r.prefetch_refused, c.hits, c.misses, c.fetches,
      c.fetched_bytes >> 20, c.joined, c.corrupt_blocks, c.evicted_blocks);
}

void ImageFs::Start(KernelNotifier* notifier) { sync_.Start(notifier); }

Attr ImageFs::DirAttr(uint64_t ino) const {
  Attr a;
  a.ino = ino;
  a.mode = S_IFDIR | 0555;
  a.nlink = ino == kRootIno ? 4 : 2;
  auto snap = state_.Dir(ino == kRootIno ? kImagesDirIno : ino);
  a.mtime_us = snap && snap->mtime_us > 0 ? snap->mtime_us : start_us_;
  a.uid = options_.uid;
  a.gid = options_.gid;
  a.blksize = 4096;
  return a;
}

Attr ImageFs::FileAttr(const ImageNode& node) const {
  const wire::Image& img = *node.image;
  bool active = img.status == wire::ImageStatus::kActive;
  Attr a;
  a.ino = node.ino;
  // Active image bytes are immutable: readable by all, writable by none. Anything
  // else has no readable bytes yet (or any more), so it shows no permissions (§4).
  a.mode = S_IFREG | (active ? 0444 : 0);
  a.nlink = node.gone ? 0 : node.listed ? 2 : 1;
  a.size = active ? static_cast<uint64_t>(std::max<int64_t>(0, img.size.value_or(0))) : 0;
  a.mtime_us = img.updated_at;
  a.uid = options_.uid;
  a.gid = options_.gid;
  a.blksize = kFileBlksize;
  return a;
}

Result<ImageNode> ImageFs::LiveImage(uint64_t ino) {
  auto node = state_.FindByIno(ino);
  if (!node || node->gone) return NotFound("no such image");
  return *node;
}

Result<Attr> ImageFs::Lookup(uint64_t parent, std::string_view name) {
  if (parent == kRootIno) {
    if (name == "images") return DirAttr(kImagesDirIno);
    if (name == "by-id") return DirAttr(kByIdDirIno);
    return NotFound("no such directory");
  }
  if (parent != kImagesDirIno && parent != kByIdDirIno) return NotFound("not a directory");
  sync_.EnsureFresh();
  if (auto node = state_.FindByName(parent, name)) return FileAttr(*node);
  if (parent == kByIdDirIno && IsUuid(name)) {
    IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, sync_.ResolveId(std::string(name)));
    return FileAttr(node);
  }
  return NotFound("no such image");
}

Result<Attr> ImageFs::GetAttr(uint64_t ino) {
  if (IsDirIno(ino)) return DirAttr(ino);
  sync_.EnsureFresh();
  auto node = state_.FindByIno(ino);
  if (!node) return NotFound("unknown inode");
  return FileAttr(*node);
}

Result<uint64_t> ImageFs::OpenDir(uint64_t ino) {
  if (!IsDirIno(ino)) return NotFound("not a directory");
  if (ino != kRootIno) sync_.EnsureFresh();
  auto* h = new DirHandle{ino, state_.Dir(ino)};
  return reinterpret_cast<uint64_t>(h);
}

Status ImageFs::ReadDir(uint64_t dir_handle, uint64_t offset, bool plus,
                        const std::function<bool(const DirItem&)>& visit) {
  const auto* h = reinterpret_cast<const DirHandle*>(dir_handle);
  const auto& entries = h->snapshot->entries;
  // Offsets: 1 after ".", 2 after "..", i + 3 after entries[i].
  for (uint64_t off = offset; off < entries.size() + 2; ++off) {
    DirItem item{};
    item.next_offset = off + 1;
    if (off < 2) {
      item.name = off == 0 ? "." : "..";
      item.attr = DirAttr(off == 0 ? h->ino : kRootIno);
    } else {
      const DirEntry& e = entries[off - 2];
      item.name = e.name;
      if (IsDirIno(e.ino)) {
        item.attr = DirAttr(e.ino);
      } else if (auto node = plus ? state_.FindByIno(e.ino) : std::nullopt) {
        item.attr = FileAttr(*node);
      } else {
        item.attr.ino = e.ino;
        item.attr.mode = S_IFREG;
      }
    }
    if (!visit(item)) break;
  }
  return Status::Ok();
}

void ImageFs::ReleaseDir(uint64_t dir_handle) { delete reinterpret_cast<DirHandle*>(dir_handle); }

Result<OpenResult> ImageFs::Open(uint64_t ino, int flags) {
  if (IsDirIno(ino)) return PermissionDenied("is a directory");
  if ((flags & O_ACCMODE) != O_RDONLY) return PermissionDenied("image files are read-only");
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  const wire::Image& img = *node.image;
  if (img.status != wire::ImageStatus::kActive) {
    return PermissionDenied("image " + img.id + " is " + std::string(wire::ToString(img.status)));
  }
  ImageSource source;
  source.id = img.id;
  source.size = static_cast<uint64_t>(std::max<int64_t>(0, img.size.value_or(0)));
  if (source.size > 0) {
    IMAGEFS_ASSIGN_OR_RETURN(source.layout, block_maps_.LayoutFor(img));
  }
  auto* f = new OpenFile{reader_.Open(std::move(source))};
  // keep_cache is safe: an active image's bytes never change, and a new version of
  // an image is a new image id, hence a new inode.
  return OpenResult{reinterpret_cast<uint64_t>(f), /*keep_cache=*/true};
}

Result<ReadResult> ImageFs::Read(uint64_t fh, uint64_t offset, size_t size) {
  auto* f = reinterpret_cast<OpenFile*>(fh);
  return reader_.Read(*f->stream, offset, size);
}

void ImageFs::Release(uint64_t fh) { delete reinterpret_cast<OpenFile*>(fh); }

Result<std::string> ImageFs::GetXattr(uint64_t ino, std::string_view name) {
  if (IsForeignNamespace(name) || IsDirIno(ino)) return NotFound("no such attribute");
  sync_.EnsureFresh();
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  return fs::GetXattr(*node.image, name);
}

Result<std::vector<std::string>> ImageFs::ListXattr(uint64_t ino) {
  if (IsDirIno(ino)) return std::vector<std::string>();
  sync_.EnsureFresh();
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  return ListXattrNames(*node.image);
}

Status ImageFs::SetXattr(uint64_t ino, std::string_view name, std::string_view value, int flags) {
  if (IsForeignNamespace(name) || IsDirIno(ino)) {
    return Unimplemented("only user.x-image-meta-* attributes of images are stored");
  }
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  IMAGEFS_ASSIGN_OR_RETURN(std::string patch, PlanSetXattr(*node.image, name, value, flags));
  CallOptions call{clock_.Now() + options_.sync.retry_deadline, true};
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image updated, client_.PatchImage(node.image->id, patch, call));
  sync_.Publish(state_.ApplyShown(std::move(updated)));
  return Status::Ok();
}

Status ImageFs::RemoveXattr(uint64_t ino, std::string_view name) {
  if (IsForeignNamespace(name) || IsDirIno(ino)) return NotFound("no such attribute");
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  IMAGEFS_ASSIGN_OR_RETURN(std::string patch, PlanRemoveXattr(*node.image, name));
  CallOptions call{clock_.Now() + options_.sync.retry_deadline, true};
  auto updated = client_.PatchImage(node.image->id, patch, call);
  if (!updated.ok() && updated.status().code() == StatusCode::kAlreadyExists) {
    // 409: someone removed it first. Learn the image as it is now; report no attribute.
    if (auto fresh = client_.GetImage(node.image->id, call); fresh.ok()) {
      sync_.Publish(state_.ApplyShown(std::move(*fresh)));
    }
    return NotFound("no such property");
  }
  if (!updated.ok()) return updated.status();
  sync_.Publish(state_.ApplyShown(std::move(*updated)));
  return Status::Ok();
}

FsTotals ImageFs::Totals() const { return {state_.listed_count(), state_.listed_bytes()}; }

}  // namespace imagefs::fs
