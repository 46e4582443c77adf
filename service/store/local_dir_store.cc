#include "service/store/local_dir_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "common/uuid.h"
#include "service/store/local_upload_writer.h"

namespace imagefs::service {

namespace {

constexpr uint32_t kMaxBlockSize = 64u << 20;

Status ValidateOptions(const LocalDirStoreOptions& options) {
  if (options.dir.empty()) {
    return InvalidArgument("store directory is required");
  }
  if (options.block_size == 0 || options.block_size > kMaxBlockSize) {
    return InvalidArgument("block size must be between 1 byte and 64 MiB");
  }
  if (options.max_image_size == 0) {
    return InvalidArgument("max image size must be positive");
  }
  return Status::Ok();
}

// Creates `parent`/`name` if missing and opens it as a directory.
Result<UniqueFd> OpenSubdir(int parent, const char* name) {
  if (::mkdirat(parent, name, 0750) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, std::string("create store directory ") + name);
  }
  int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, std::string("open store directory ") + name);
  }
  return UniqueFd(fd);
}

// Calls `fn` with each entry name of the directory `dir` but "." and "..".
Status ForEachEntry(int dir, const std::function<Status(const char*)>& fn) {
  // A fresh open file description, so concurrent listings do not share a position.
  int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, "open store directory");
  }
  DIR* stream = ::fdopendir(fd);
  if (stream == nullptr) {
    Status status = ErrnoStatus(errno, "list store directory");
    ::close(fd);
    return status;
  }
  Status status;
  errno = 0;
  while (dirent* entry = ::readdir(stream)) {
    std::string_view name(entry->d_name);
    if (name != "." && name != "..") {
      status = fn(entry->d_name);
      if (!status.ok()) {
        break;
      }
    }
    errno = 0;
  }
  if (status.ok() && errno != 0) {
    status = ErrnoStatus(errno, "list store directory");
  }
  ::closedir(stream);
  return status;
}

}  // namespace

Status ValidateImageId(const std::string& image_id) {
  if (!IsUuid(image_id)) {
    return InvalidArgument("image id must be a UUID");
  }
  return Status::Ok();
}

Result<std::unique_ptr<LocalDirStore>> LocalDirStore::Open(const LocalDirStoreOptions& options) {
  IMAGEFS_RETURN_IF_ERROR(ValidateOptions(options));
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return ErrnoStatus(ec.value(), "create store directory " + options.dir);
  }
  UniqueFd top(::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) {
    return ErrnoStatus(errno, "open store directory " + options.dir);
  }
  auto dirs = std::make_shared<StoreDirs>();
  IMAGEFS_ASSIGN_OR_RETURN(dirs->data, OpenSubdir(top.get(), "data"));
  IMAGEFS_ASSIGN_OR_RETURN(dirs->incoming, OpenSubdir(top.get(), "incoming"));
  if (options.fsync) {
    IMAGEFS_RETURN_IF_ERROR(Fsync(top.get(), "store directory"));
  }
  std::unique_ptr<LocalDirStore> store(new LocalDirStore(options, std::move(dirs)));
  store->data_url_ = "file://" + std::filesystem::absolute(options.dir, ec).lexically_normal().string();
  if (store->data_url_.back() != '/') store->data_url_ += '/';
  store->data_url_ += "data/";
  return store;
}

std::string LocalDirStore::LocationOf(const std::string& image_id) const {
  return data_url_ + image_id;
}

Result<std::unique_ptr<UploadWriter>> LocalDirStore::BeginUpload(const std::string& image_id) {
  IMAGEFS_RETURN_IF_ERROR(ValidateImageId(image_id));
  std::string temp_name = image_id + "." + NewUuid() + ".part";
  int fd = ::openat(dirs_->incoming.get(), temp_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                    0640);
  if (fd < 0) {
    return ErrnoStatus(errno, "create upload file for image " + image_id);
  }
  return std::unique_ptr<UploadWriter>(std::make_unique<LocalUploadWriter>(
      options_, dirs_, image_id, std::move(temp_name), UniqueFd(fd)));
}

Result<std::unique_ptr<RangeReader>> LocalDirStore::Open(const std::string& image_id) {
  IMAGEFS_RETURN_IF_ERROR(ValidateImageId(image_id));
  UniqueFd fd(::openat(dirs_->data.get(), image_id.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return NotFound("image " + image_id + " has no data");
    }
    return ErrnoStatus(errno, "open data of image " + image_id);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno, "stat data of image " + image_id);
  }
  return std::unique_ptr<RangeReader>(
      std::make_unique<FileRangeReader>(std::move(fd), static_cast<uint64_t>(st.st_size)));
}

Status LocalDirStore::Remove(const std::string& image_id) {
  IMAGEFS_RETURN_IF_ERROR(ValidateImageId(image_id));
  if (::unlinkat(dirs_->data.get(), image_id.c_str(), 0) != 0) {
    if (errno == ENOENT) {
      return Status::Ok();
    }
    return ErrnoStatus(errno, "remove data of image " + image_id);
  }
  return options_.fsync ? Fsync(dirs_->data.get(), "data directory") : Status::Ok();
}

Result<std::vector<std::string>> LocalDirStore::List() {
  std::vector<std::string> ids;
  IMAGEFS_RETURN_IF_ERROR(ForEachEntry(dirs_->data.get(), [&](const char* name) {
    if (IsUuid(name)) {
      ids.emplace_back(name);
    }
    return Status::Ok();
  }));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Status LocalDirStore::RemoveIncomplete() {
  int removed = 0;
  IMAGEFS_RETURN_IF_ERROR(ForEachEntry(dirs_->incoming.get(), [&](const char* name) {
    if (::unlinkat(dirs_->incoming.get(), name, 0) == 0) {
      ++removed;
    } else if (errno == EISDIR || errno == EPERM) {
      // Not something an upload leaves; keep it rather than refuse to start.
      IMAGEFS_LOG(WARN, "ignoring directory {} in the store's incoming/", name);
    } else if (errno != ENOENT) {
      return ErrnoStatus(errno, std::string("remove incomplete upload ") + name);
    }
    return Status::Ok();
  }));
  if (removed > 0) {
    IMAGEFS_LOG(INFO, "removed {} incomplete upload(s)", removed);
  }
  return Status::Ok();
}

Result<uint64_t> LocalDirStore::FreeBytes() {
  struct statvfs st {};
  if (::fstatvfs(dirs_->data.get(), &st) != 0) {
    return ErrnoStatus(errno, "statvfs store directory");
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

Result<std::unique_ptr<ImageStore>> NewLocalDirStore(const LocalDirStoreOptions& options) {
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<LocalDirStore> store, LocalDirStore::Open(options));
  return std::unique_ptr<ImageStore>(std::move(store));
}

}  // namespace imagefs::service
