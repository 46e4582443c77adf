#include "service/backup/local_backup_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <unordered_set>

#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/log.h"
#include "common/uuid.h"
#include "service/backup/backup_codec.h"
#include "service/backup/local_backup_writer.h"

namespace imagefs::service::backup {
namespace {

constexpr std::string_view kFormatFile = "FORMAT";
constexpr std::string_view kFormatText = "imagefs-backup-store 1\n";

Result<UniqueFd> OpenDir(int parent, const std::string& name, bool create) {
  if (create && ::mkdirat(parent, name.c_str(), 0750) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "create backup store directory " + name);
  }
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return ErrnoStatus(errno, "open backup store directory " + name);
  return fd;
}

// Calls `fn(name, is_dir)` for each entry of directory `dir` but "." and "..";
// stops at the first error `fn` returns.
Status ForEachEntry(int dir, const std::function<Status(const char*, bool)>& fn) {
  int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open backup store directory");
  DIR* stream = ::fdopendir(fd);
  if (stream == nullptr) {
    ::close(fd);
    return ErrnoStatus(errno, "list backup store directory");
  }
  Status status;
  errno = 0;
  while (dirent* e = ::readdir(stream)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") {
      bool is_dir = e->d_type == DT_DIR;
      struct stat st {};
      if (e->d_type == DT_UNKNOWN && ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        is_dir = S_ISDIR(st.st_mode);
      }
      status = fn(e->d_name, is_dir);
      if (!status.ok()) break;
    }
    errno = 0;
  }
  if (status.ok() && errno != 0) status = ErrnoStatus(errno, "list backup store directory");
  ::closedir(stream);
  return status;
}

Status UnlinkIfPresent(int dir, const std::string& name, uint64_t* bytes = nullptr) {
  struct stat st {};
  if (bytes != nullptr && ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    *bytes += static_cast<uint64_t>(st.st_size);
  }
  if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "remove " + name + " from the backup store");
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(int dir, const char* name) {
  UniqueFd fd(::openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return ErrnoStatus(errno, std::string("open ") + name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, std::string("stat ") + name);
  FileRangeReader reader(std::move(fd), static_cast<uint64_t>(st.st_size));
  return reader.ReadExactly(0, static_cast<size_t>(st.st_size));
}

// Calls `fn(holder, backup_id, manifest)` for every reference file of every
// holder. An unreadable file is an error: nothing may be freed on a guess.
Status ForEachReference(
    const ContainerDirs& dirs,
    const std::function<Status(std::string_view, std::string_view, const Manifest&)>& fn) {
  return ForEachEntry(dirs.refs.get(), [&](const char* holder, bool) -> Status {
    IMAGEFS_ASSIGN_OR_RETURN(UniqueFd holder_dir, OpenDir(dirs.refs.get(), holder, false));
    return ForEachEntry(holder_dir.get(), [&](const char* backup_id, bool) -> Status {
      if (std::string_view(backup_id).find(".tmp.") != std::string_view::npos) {
        return Status::Ok();  // a reference file being written; see WriteFileAtomically
      }
      IMAGEFS_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(holder_dir.get(), backup_id));
      IMAGEFS_ASSIGN_OR_RETURN(Manifest manifest, DecodeManifest(bytes));
      return fn(holder, backup_id, manifest);
    });
  });
}

// Sets the top-directory flag on `dir` (see spool/ in local_backup_store.h).
// Best effort: a filesystem without it allocates as it would anyway.
void MarkTopDirectory(int dir) {
  int flags = 0;
  if (::ioctl(dir, FS_IOC_GETFLAGS, &flags) != 0 || (flags & FS_TOPDIR_FL) != 0) return;
  flags |= FS_TOPDIR_FL;
  ::ioctl(dir, FS_IOC_SETFLAGS, &flags);
}

// Removes what writers left in staging/ and spool/.
Result<uint64_t> RemoveStaged(const ContainerDirs& dirs) {
  uint64_t removed = 0;
  IMAGEFS_RETURN_IF_ERROR(ForEachEntry(dirs.staging.get(), [&](const char* name, bool) {
    ++removed;
    return UnlinkIfPresent(dirs.staging.get(), name);
  }));
  IMAGEFS_RETURN_IF_ERROR(ForEachEntry(dirs.spool.get(), [&](const char* name, bool is_dir) {
    if (!is_dir) {
      ++removed;
      return UnlinkIfPresent(dirs.spool.get(), name);
    }
    IMAGEFS_ASSIGN_OR_RETURN(UniqueFd session, OpenDir(dirs.spool.get(), name, false));
    IMAGEFS_RETURN_IF_ERROR(ForEachEntry(session.get(), [&](const char* file, bool) {
      ++removed;
      return UnlinkIfPresent(session.get(), file);
    }));
    if (::unlinkat(dirs.spool.get(), name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "remove spool directory " + std::string(name));
    }
    return Status::Ok();
  }));
  return removed;
}

// Drops `is_live`-rejected reference files of `holder`; returns how many.
Result<uint64_t> RemoveDeadReferences(const ContainerDirs& dirs, const std::string& holder,
                                      const IsLiveFn& is_live) {
  Result<UniqueFd> own = OpenHolderDir(dirs, holder, false);
  if (!own.ok()) return uint64_t{0};
  uint64_t removed = 0;
  IMAGEFS_RETURN_IF_ERROR(ForEachEntry(own->get(), [&](const char* name, bool) {
    bool temporary = std::string_view(name).find(".tmp.") != std::string_view::npos;
    if (!temporary && is_live(name)) return Status::Ok();
    ++removed;
    return UnlinkIfPresent(own->get(), name);
  }));
  return removed;
}

// Deletes every block no entry of `referenced` names.
Status RemoveUnreferencedBlocks(const ContainerDirs& dirs,
                                const std::unordered_set<std::string>& referenced,
                                SweepReport& report) {
  return ForEachEntry(dirs.blocks.get(), [&](const char* prefix, bool) -> Status {
    IMAGEFS_ASSIGN_OR_RETURN(UniqueFd sub, OpenDir(dirs.blocks.get(), prefix, false));
    return ForEachEntry(sub.get(), [&](const char* name, bool) -> Status {
      std::string raw;
      if (FromHex(name, &raw) && referenced.count(raw) > 0) return Status::Ok();
      ++report.blocks_removed;
      return UnlinkIfPresent(sub.get(), name, &report.bytes_removed);
    });
  });
}

}  // namespace

Result<ContainerDirs> OpenContainer(int store_fd, std::string_view name, bool create) {
  IMAGEFS_RETURN_IF_ERROR(ValidateContainerName(name));
  ContainerDirs dirs;
  dirs.name = std::string(name);
  Result<UniqueFd> top = OpenDir(store_fd, dirs.name, create);
  if (!top.ok()) {
    if (top.status().code() == StatusCode::kNotFound) {
      return NotFound("backup container " + dirs.name + " does not exist");
    }
    return top.status();
  }
  dirs.top = std::move(*top);
  IMAGEFS_ASSIGN_OR_RETURN(dirs.blocks, OpenDir(dirs.top.get(), "blocks", create));
  IMAGEFS_ASSIGN_OR_RETURN(dirs.staging, OpenDir(dirs.top.get(), "staging", create));
  IMAGEFS_ASSIGN_OR_RETURN(dirs.refs, OpenDir(dirs.top.get(), "refs", create));
  // Created even when !create: containers from before spool/ lack it.
  IMAGEFS_ASSIGN_OR_RETURN(dirs.spool, OpenDir(dirs.top.get(), "spool", true));
  if (create) MarkTopDirectory(dirs.spool.get());
  return dirs;
}

Result<UniqueFd> OpenHolderDir(const ContainerDirs& dirs, const std::string& holder, bool create) {
  return OpenDir(dirs.refs.get(), holder, create);
}

Result<ContainerLock> ContainerLock::Acquire(const ContainerDirs& dirs, bool exclusive) {
  UniqueFd fd(::openat(dirs.top.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoStatus(errno, "open lock of backup container " + dirs.name);
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return ErrnoStatus(errno, "lock backup container " + dirs.name);
  }
  return ContainerLock(std::move(fd));
}

std::string BlockPath(std::string_view digest) {
  std::string hex = ToHex(digest);
  return hex.substr(0, 2) + "/" + hex;
}

Status SyncFilesystem(int fd) {
  if (::syncfs(fd) != 0) return ErrnoStatus(errno, "syncfs of the backup store");
  return Status::Ok();
}

Status WriteFileAtomically(int dir, const std::string& name, std::string_view data, bool durable) {
  std::string temp = name + ".tmp." + NewUuid();
  UniqueFd fd(::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoStatus(errno, "create " + temp);
  Status written = PwriteAll(fd.get(), 0, data);
  fd.Reset();
  if (written.ok() && ::renameat(dir, temp.c_str(), dir, name.c_str()) != 0) {
    written = ErrnoStatus(errno, "rename " + temp);
  }
  if (!written.ok()) {
    ::unlinkat(dir, temp.c_str(), 0);
    return written;
  }
  return durable ? SyncFilesystem(dir) : Status::Ok();
}

Result<std::unique_ptr<LocalBackupStore>> LocalBackupStore::Open(
    const LocalBackupStoreOptions& options) {
  if (options.dir.empty()) return InvalidArgument("backup store directory is required");
  if (options.instance_id.empty() || options.instance_id.find('/') != std::string::npos) {
    return InvalidArgument("backup store holder name is required");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return ErrnoStatus(ec.value(), "create backup store directory " + options.dir);
  UniqueFd dir(::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus(errno, "open backup store directory " + options.dir);
  struct stat st {};
  if (::fstatat(dir.get(), std::string(kFormatFile).c_str(), &st, 0) != 0) {
    IMAGEFS_RETURN_IF_ERROR(
        WriteFileAtomically(dir.get(), std::string(kFormatFile), kFormatText, options.fsync));
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::string format,
                           ReadWholeFile(dir.get(), std::string(kFormatFile).c_str()));
  if (format != kFormatText) {
    return FailedPrecondition(options.dir + " is not an imagefs backup store of a known layout");
  }
  return std::unique_ptr<LocalBackupStore>(new LocalBackupStore(options, std::move(dir)));
}

Result<std::unique_ptr<BackupWriter>> LocalBackupStore::BeginBackup(std::string_view container) {
  IMAGEFS_ASSIGN_OR_RETURN(ContainerDirs dirs, OpenContainer(dir_.get(), container, true));
  IMAGEFS_ASSIGN_OR_RETURN(ContainerLock lock, ContainerLock::Acquire(dirs, false));
  return std::unique_ptr<BackupWriter>(
      std::make_unique<LocalBackupWriter>(options_, std::move(dirs), std::move(lock)));
}

Result<std::unique_ptr<RangeReader>> LocalBackupStore::OpenBlock(std::string_view container,
                                                                 std::string_view digest) {
  IMAGEFS_RETURN_IF_ERROR(ValidateContainerName(container));
  std::string path = std::string(container) + "/blocks/" + BlockPath(digest);
  UniqueFd fd(::openat(dir_.get(), path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return NotFound("block " + ToHex(digest) + " is missing from container " +
                      std::string(container));
    }
    return ErrnoStatus(errno, "open block " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat block " + path);
  return std::unique_ptr<RangeReader>(
      std::make_unique<FileRangeReader>(std::move(fd), static_cast<uint64_t>(st.st_size)));
}

Result<uint64_t> LocalBackupStore::Release(std::string_view container, std::string_view backup_id,
                                           const std::vector<std::string>& candidates,
                                           const InUseFn& in_use) {
  Result<ContainerDirs> dirs = OpenContainer(dir_.get(), container, false);
  if (!dirs.ok() && dirs.status().code() == StatusCode::kNotFound) return uint64_t{0};
  IMAGEFS_RETURN_IF_ERROR(dirs.status());
  IMAGEFS_ASSIGN_OR_RETURN(ContainerLock lock, ContainerLock::Acquire(*dirs, true));
  if (Result<UniqueFd> own = OpenHolderDir(*dirs, options_.instance_id, false); own.ok()) {
    IMAGEFS_RETURN_IF_ERROR(UnlinkIfPresent(own->get(), std::string(backup_id)));
  }
  std::unordered_set<std::string> doomed;
  for (const auto& digest : candidates) {
    if (!in_use(digest)) doomed.insert(digest);
  }
  if (!doomed.empty()) {
    IMAGEFS_RETURN_IF_ERROR(ForEachReference(
        *dirs, [&](std::string_view holder, std::string_view, const Manifest& m) -> Status {
          if (holder == options_.instance_id) return Status::Ok();  // counted by in_use
          for (const auto& d : m.digests) doomed.erase(d);
          return Status::Ok();
        }));
  }
  uint64_t freed = 0;
  for (const auto& digest : doomed) {
    IMAGEFS_RETURN_IF_ERROR(UnlinkIfPresent(dirs->blocks.get(), BlockPath(digest), &freed));
  }
  return freed;
}

Result<SweepReport> LocalBackupStore::Sweep(std::string_view container, const IsLiveFn& is_live) {
  IMAGEFS_ASSIGN_OR_RETURN(ContainerDirs dirs, OpenContainer(dir_.get(), container, false));
  IMAGEFS_ASSIGN_OR_RETURN(ContainerLock lock, ContainerLock::Acquire(dirs, true));
  SweepReport report;
  IMAGEFS_ASSIGN_OR_RETURN(report.staged_removed, RemoveStaged(dirs));
  IMAGEFS_ASSIGN_OR_RETURN(report.references_removed,
                           RemoveDeadReferences(dirs, options_.instance_id, is_live));
  std::unordered_set<std::string> referenced;
  IMAGEFS_RETURN_IF_ERROR(
      ForEachReference(dirs, [&](std::string_view, std::string_view, const Manifest& m) -> Status {
        referenced.insert(m.digests.begin(), m.digests.end());
        return Status::Ok();
      }));
  IMAGEFS_RETURN_IF_ERROR(RemoveUnreferencedBlocks(dirs, referenced, report));
  return report;
}

Result<std::vector<std::string>> LocalBackupStore::Containers() {
  std::vector<std::string> names;
  IMAGEFS_RETURN_IF_ERROR(ForEachEntry(dir_.get(), [&](const char* name, bool is_dir) {
    if (is_dir && ValidateContainerName(name).ok()) names.emplace_back(name);
    return Status::Ok();
  }));
  return names;
}

Result<std::unique_ptr<BackupStore>> NewLocalBackupStore(const LocalBackupStoreOptions& options) {
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<LocalBackupStore> store,
                           LocalBackupStore::Open(options));
  return std::unique_ptr<BackupStore>(std::move(store));
}

}  // namespace imagefs::service::backup
