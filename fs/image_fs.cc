#include "fs/image_fs.h"

#include <fcntl.h>

#include <sys/stat.h>

#include "common/log.h"
#include "common/uuid.h"
#include "fs/name_map.h"
#include "fs/xattr_map.h"

namespace imagefs::fs {
namespace {

constexpr uint32_t kFileBlksize = 1u << 20;  // cp/dd pick their buffer from st_blksize

struct DirHandle {
  uint64_t ino;
  std::shared_ptr<const DirSnapshot> snapshot;
};

struct OpenFile {
  std::unique_ptr<ReadStream> stream;  // null: a member file, which reads as empty
  uint64_t ino = 0;
  IoMode mode = IoMode::kNone;  // what PassthroughOpens chose (passthrough.h)
};

constexpr std::string_view kMemberStatusXattr = "user.x-image-meta-member-status";
constexpr std::string_view kBackupPrefix = "user.x-backup-meta-";

NamespaceOptions NsOptions(const ImageFsOptions& o) {
  NamespaceOptions n;
  n.project = o.project;
  n.list_ttl = o.sync.list_ttl;
  n.retry_deadline = o.sync.retry_deadline;
  n.backup_wait = o.backup_wait;
  return n;
}

// §5. The mount stores no security.*, system.* or trusted.* attribute, and says
// so with ENOTSUP rather than ENODATA: that is how a filesystem without labels or
// ACLs answers, and `ls -l` then stops asking (it remembers an unsupported
// device), which saves it two FUSE round trips per file.
Status ForeignNamespace() { return Unimplemented("the mount stores only user.* attributes"); }

}  // namespace

ImageFs::ImageFs(const ImageFsOptions& options, CatalogClient& client, cache::BlockCache& cache,
                 StateStore* store, Clock& clock)
    : options_(options),
      client_(client),
      cache_(cache),
      clock_(clock),
      start_us_(clock.WallMicros()),
      sync_(options.sync, client, state_, store, clock),
      ns_(NsOptions(options), client, clock,
          [this](std::vector<Change> changes) { sync_.Publish(std::move(changes)); }),
      block_maps_(client, store, clock, options.sync.retry_deadline, options.verify_by_crc),
      reader_(options.reader, client, cache, clock),
      passthrough_(cache) {}

ImageFs::~ImageFs() {
  ReaderStats r = reader_.stats();
  cache::BlockCacheStats c = cache_.stats();
  IMAGEFS_LOG_INFO(
      "reads {} (demand fetches {}, read-ahead runs {}, refused {}); cache hits {} misses {} "
      "fetches {} ({} MiB) joined {} corrupt {} evicted {}; passthrough opens {}",
      r.reads, r.demand_fetches, r.prefetch_runs, r.prefetch_refused, c.hits, c.misses, c.fetches,
      c.fetched_bytes >> 20, c.joined, c.corrupt_blocks, c.evicted_blocks,
      passthrough_.passthrough_opens());
}

void ImageFs::Start(KernelNotifier* notifier, KernelPassthrough* passthrough) {
  passthrough_.SetKernel(passthrough);
  sync_.Start(notifier);
}

Attr ImageFs::DirAttr(uint64_t ino) const {
  Attr a;
  a.ino = ino;
  // images/ is writable for `ln backups/<b> images/<new>` (restore, §12).
  a.mode = S_IFDIR | (ino == kImagesDirIno ? 0755 : 0555);
  a.nlink = ino == kRootIno ? 6 : 2;
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

Attr ImageFs::NsAttr(const NsNode& node) const {
  Attr a;
  a.ino = node.ino;
  a.uid = options_.uid;
  a.gid = options_.gid;
  a.mtime_us = node.mtime_us > 0 ? node.mtime_us : start_us_;
  a.blksize = 4096;
  switch (node.kind) {
    case NsNode::Kind::kMembersDir:
      a.mode = S_IFDIR | 0555;
      a.nlink = 2;
      break;
    case NsNode::Kind::kBackupsDir:
    case NsNode::Kind::kImageMembers:
      // Writable: ln/rm in backups/, touch/rm of members (the service decides).
      a.mode = S_IFDIR | 0755;
      a.nlink = 2;
      break;
    case NsNode::Kind::kMember:
      a.mode = S_IFREG | 0644;
      a.nlink = 1;
      break;
    case NsNode::Kind::kBackup: {
      bool available = node.backup->status == "available";
      a.mode = S_IFREG | (available ? 0444 : 0);
      a.nlink = 1;
      a.size = node.backup->size_bytes;
      a.blksize = kFileBlksize;
      break;
    }
  }
  return a;
}

CallOptions ImageFs::WriteCall() const {
  return CallOptions{clock_.Now() + options_.sync.retry_deadline, true};
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
    if (name == "members") return GetAttr(kMembersDirIno);
    if (name == "backups") return GetAttr(kBackupsDirIno);
    return NotFound("no such directory");
  }
  if (IsNamespaceIno(parent)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Lookup(parent, name));
    return NsAttr(node);
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
  if (IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
    return NsAttr(node);
  }
  sync_.EnsureFresh();
  auto node = state_.FindByIno(ino);
  if (!node) return NotFound("unknown inode");
  return FileAttr(*node);
}

Result<uint64_t> ImageFs::OpenDir(uint64_t ino) {
  if (IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<const DirSnapshot> snap, ns_.List(ino));
    return reinterpret_cast<uint64_t>(new DirHandle{ino, std::move(snap)});
  }
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
      uint64_t dir = off == 0 ? h->ino : IsNamespaceIno(h->ino) ? kMembersDirIno : kRootIno;
      if (off == 1 && (h->ino == kMembersDirIno || h->ino == kBackupsDirIno)) dir = kRootIno;
      item.attr.ino = dir;
      item.attr.mode = S_IFDIR | 0555;
      if (plus) {
        auto attr = GetAttr(dir);
        if (attr.ok()) item.attr = *attr;
      }
    } else {
      const DirEntry& e = entries[off - 2];
      item.name = e.name;
      if (IsNamespaceIno(e.ino)) {
        auto node = plus ? ns_.Get(e.ino) : Result<NsNode>(NotFound(""));
        if (node.ok()) {
          item.attr = NsAttr(*node);
        } else {
          item.attr.ino = e.ino;
          item.attr.mode = h->ino == kMembersDirIno || h->ino == kRootIno ? S_IFDIR : S_IFREG;
        }
      } else if (IsDirIno(e.ino)) {
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
  if (IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
    if (node.is_dir()) return PermissionDenied("is a directory");
    // Member files hold nothing; opening one for writing is how `touch` finds it.
    if (node.kind == NsNode::Kind::kMember) {
      return OpenResult{reinterpret_cast<uint64_t>(new OpenFile{}), false};
    }
    if ((flags & O_ACCMODE) != O_RDONLY) return PermissionDenied("backups are read-only");
    return OpenBackup(ino, node, flags);
  }
  if ((flags & O_ACCMODE) != O_RDONLY) return PermissionDenied("image files are read-only");
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  return OpenImage(ino, *node.image, flags);
}

// keep_cache is safe for every source: an active image's bytes never change (a new
// version of an image is a new image id, hence a new inode), and a backup's neither.
OpenResult ImageFs::OpenSource(uint64_t ino, ImageSource source, int flags) {
  IoChoice io = passthrough_.Open(ino, source.layout.get(), flags);
  auto* f = new OpenFile{reader_.Open(std::move(source)), ino, io.mode};
  OpenResult r{reinterpret_cast<uint64_t>(f), /*keep_cache=*/true};
  r.direct_io = io.direct_io;
  if (io.mode == IoMode::kPassthrough) r.backing_id = io.backing_id;
  return r;
}

// A backup's bytes come from imaged's GET .../backups/{id}/data, verified against
// its block map (GET .../backups/{id}/blocks) and kept in the block cache like an
// image's; read through when the service gives no block map (§12).
Result<OpenResult> ImageFs::OpenBackup(uint64_t ino, const NsNode& node, int flags) {
  const BackupInfo& b = *node.backup;
  if (b.status != "available") return PermissionDenied("backup " + b.id + " is " + b.status);
  ImageSource source;
  source.id = BackupSourceId(options_.project, b.id);
  source.size = b.size_bytes;
  IMAGEFS_ASSIGN_OR_RETURN(source.layout, block_maps_.LayoutForBackup(source.id, source.size));
  return OpenSource(ino, std::move(source), flags);
}

Result<OpenResult> ImageFs::OpenImage(uint64_t ino, const wire::Image& img, int flags) {
  if (img.status != wire::ImageStatus::kActive) {
    return PermissionDenied("image " + img.id + " is " + std::string(wire::ToString(img.status)));
  }
  ImageSource source;
  source.id = img.id;
  source.size = static_cast<uint64_t>(std::max<int64_t>(0, img.size.value_or(0)));
  if (source.size > 0) {
    IMAGEFS_ASSIGN_OR_RETURN(source.layout, block_maps_.LayoutFor(img));
  }
  return OpenSource(ino, std::move(source), flags);
}

Result<ReadResult> ImageFs::Read(uint64_t fh, uint64_t offset, size_t size) {
  auto* f = reinterpret_cast<OpenFile*>(fh);
  if (!f->stream) return ReadResult{};
  return reader_.Read(*f->stream, offset, size);
}

void ImageFs::Release(uint64_t fh) {
  std::unique_ptr<OpenFile> f(reinterpret_cast<OpenFile*>(fh));
  passthrough_.Release(f->ino, f->mode);
}

Result<std::string> ImageFs::GetXattr(uint64_t ino, std::string_view name) {
  if (IsForeignNamespace(name)) return ForeignNamespace();
  if (IsDirIno(ino)) return NotFound("no such attribute");
  if (IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
    if (node.kind == NsNode::Kind::kMember && name == kMemberStatusXattr) {
      return std::string(wire::ToString(node.member->status));
    }
    if (node.kind == NsNode::Kind::kBackup && name.substr(0, kBackupPrefix.size()) == kBackupPrefix) {
      auto it = node.backup->fields.find(std::string(name.substr(kBackupPrefix.size())));
      if (it != node.backup->fields.end()) return it->second;
    }
    return NotFound("no such attribute");
  }
  sync_.EnsureFresh();
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  return fs::GetXattr(*node.image, name);
}

Result<std::vector<std::string>> ImageFs::ListXattr(uint64_t ino) {
  if (IsDirIno(ino)) return std::vector<std::string>();
  if (IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
    std::vector<std::string> names;
    if (node.kind == NsNode::Kind::kMember) names.emplace_back(kMemberStatusXattr);
    if (node.kind == NsNode::Kind::kBackup) {
      for (const auto& [key, value] : node.backup->fields) {
        names.push_back(std::string(kBackupPrefix) + key);
      }
    }
    return names;
  }
  sync_.EnsureFresh();
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  return ListXattrNames(*node.image);
}

Status ImageFs::SetXattr(uint64_t ino, std::string_view name, std::string_view value, int flags) {
  if (IsForeignNamespace(name) || IsDirIno(ino)) {
    return Unimplemented("only user.x-image-meta-* attributes of images are stored");
  }
  if (IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
    if (node.kind == NsNode::Kind::kMember && name == kMemberStatusXattr) {
      return SetMemberStatus(ino, value);
    }
    if (node.kind == NsNode::Kind::kBackup) return FailedPrecondition("backup fields are read-only");
    return Unimplemented("only " + std::string(kMemberStatusXattr) + " can be set here");
  }
  IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
  IMAGEFS_ASSIGN_OR_RETURN(std::string patch, PlanSetXattr(*node.image, name, value, flags));
  CallOptions call{clock_.Now() + options_.sync.retry_deadline, true};
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image updated, client_.PatchImage(node.image->id, patch, call));
  sync_.Publish(state_.ApplyShown(std::move(updated)));
  return Status::Ok();
}

Status ImageFs::RemoveXattr(uint64_t ino, std::string_view name) {
  if (IsForeignNamespace(name)) return ForeignNamespace();
  if (IsDirIno(ino)) return NotFound("no such attribute");
  if (IsNamespaceIno(ino)) {
    IMAGEFS_RETURN_IF_ERROR(GetXattr(ino, name).status());
    return FailedPrecondition("this attribute cannot be removed");
  }
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

// The member's answer moves the image in or out of the default list, hence images/;
// the mount shows that at once rather than at the next full listing (§11).
Status ImageFs::SetMemberStatus(uint64_t ino, std::string_view value) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Member m, ns_.SetMemberStatus(ino, value));
  auto image = client_.GetImage(m.image_id, WriteCall());
  if (!image.ok()) return Status::Ok();  // the next listing settles it
  bool owned = !options_.project.empty() && image->owner == options_.project;
  if (m.status == wire::MemberStatus::kAccepted) {
    if (!image->os_hidden) sync_.Publish(state_.ApplyListed({std::move(*image)}));
  } else if (!owned && image->visibility == wire::Visibility::kShared) {
    sync_.Publish(state_.MarkGone(m.image_id));
  }
  return Status::Ok();
}

Result<std::pair<Attr, OpenResult>> ImageFs::Create(uint64_t parent, std::string_view name) {
  if (!IsNamespaceIno(parent) || parent == kMembersDirIno || parent == kBackupsDirIno) {
    return Unimplemented("only members can be created");
  }
  IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.AddMember(parent, name));
  OpenResult opened{reinterpret_cast<uint64_t>(new OpenFile{}), false};
  return std::make_pair(NsAttr(node), opened);
}

Status ImageFs::Unlink(uint64_t parent, std::string_view name) {
  if (parent == kBackupsDirIno) return ns_.DeleteBackup(name);
  if (IsNamespaceIno(parent) && parent != kMembersDirIno) return ns_.RemoveMember(parent, name);
  return Unimplemented("read-only directory");
}

Result<Attr> ImageFs::Link(uint64_t ino, uint64_t new_parent, std::string_view new_name) {
  if (new_name.empty() || new_name.size() > kNameMax) return InvalidArgument("bad name");
  if (new_parent == kBackupsDirIno && !IsNamespaceIno(ino) && !IsDirIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(ImageNode node, LiveImage(ino));
    IMAGEFS_ASSIGN_OR_RETURN(NsNode backup, ns_.TakeBackup(node.image->id, new_name));
    return NsAttr(backup);
  }
  if (new_parent == kImagesDirIno && IsNamespaceIno(ino)) {
    IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
    if (node.kind == NsNode::Kind::kBackup) return RestoreBackup(ino, new_name);
  }
  return Unimplemented("only images into backups/ and backups into images/ can be linked");
}

Result<Attr> ImageFs::RestoreBackup(uint64_t backup_ino, std::string_view name) {
  if (state_.FindByName(kImagesDirIno, name)) return AlreadyExists("an image has that name");
  IMAGEFS_ASSIGN_OR_RETURN(std::string id, ns_.Restore(backup_ino, name));
  // The new image is `saving` until the restore finishes; wait for it, bounded.
  auto until = clock_.Now() + options_.backup_wait;
  std::chrono::milliseconds delay(50);
  Result<wire::Image> image = NotFound("not yet");
  while (true) {
    image = client_.GetImage(id, WriteCall());
    if (image.ok() && image->status != wire::ImageStatus::kSaving &&
        image->status != wire::ImageStatus::kQueued) {
      break;
    }
    if (!image.ok() && image.status().code() != StatusCode::kNotFound) return image.status();
    if (clock_.Now() >= until) break;
    clock_.SleepFor(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
  if (!image.ok()) return image.status();
  sync_.Publish(state_.ApplyListed({std::move(*image)}));
  auto node = state_.FindById(id);
  if (!node || node->gone) return Internal("restored image " + id + " vanished");
  return FileAttr(*node);
}

Result<Attr> ImageFs::SetAttr(uint64_t ino) {
  if (!IsNamespaceIno(ino)) return Unimplemented("read-only file");
  IMAGEFS_ASSIGN_OR_RETURN(NsNode node, ns_.Get(ino));
  if (node.kind != NsNode::Kind::kMember) return Unimplemented("read-only file");
  return NsAttr(node);
}

FsTotals ImageFs::Totals() const { return {state_.listed_count(), state_.listed_bytes()}; }

}  // namespace imagefs::fs
