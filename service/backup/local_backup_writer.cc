#include "service/backup/local_backup_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <sys/stat.h>

#include "common/digest.h"
#include "common/uuid.h"
#include "service/backup/backup_codec.h"

namespace imagefs::service::backup {

LocalBackupWriter::LocalBackupWriter(const LocalBackupStoreOptions& options, ContainerDirs dirs,
                                     ContainerLock lock)
    : options_(options),
      dirs_(std::move(dirs)),
      lock_(std::move(lock)),
      session_(NewUuid()),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

LocalBackupWriter::~LocalBackupWriter() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  std::lock_guard lock(mu_);
  for (size_t i = published_; i < staged_.size(); ++i) {
    ::unlinkat(dirs_.staging.get(), staged_[i].file.c_str(), 0);
  }
}

Result<bool> LocalBackupWriter::Has(std::string_view digest) {
  std::string key(digest);
  if (taken_.count(key) > 0) return true;
  struct stat st {};
  std::string path = BlockPath(digest);
  if (::fstatat(dirs_.blocks.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return ErrnoStatus(errno, "stat block " + path);
  }
  if (!S_ISREG(st.st_mode)) return DataLoss("block " + path + " is not a regular file");
  taken_.insert(std::move(key));
  return true;
}

std::string LocalBackupWriter::TakeBuffer() {
  std::lock_guard lock(mu_);
  if (free_buffers_.empty()) return std::string();
  std::string buffer = std::move(free_buffers_.back());
  free_buffers_.pop_back();
  return buffer;
}

Status LocalBackupWriter::Put(std::string digest, std::string data) {
  taken_.insert(digest);
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < options_.write_queue || !error_.ok(); });
    if (!error_.ok()) return error_;
    if (closed_) return FailedPrecondition("backup writer already committed");
    queue_.push_back(Block{std::move(digest), std::move(data)});
  }
  cv_.notify_all();
  return Status::Ok();
}

void LocalBackupWriter::Run(std::stop_token stop) {
  while (true) {
    Block block;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !queue_.empty() || closed_; });
      if (stop.stop_requested() || queue_.empty()) return;
      block = std::move(queue_.front());
      queue_.pop_front();
    }
    cv_.notify_all();  // room in the queue
    bool failed = false;
    {
      std::lock_guard lock(mu_);
      failed = !error_.ok();
    }
    Result<Staged> staged =
        failed ? Result<Staged>(Cancelled("earlier write failed")) : Stage(block);
    {
      std::lock_guard lock(mu_);
      if (staged.ok()) {
        staged_.push_back(std::move(*staged));
      } else if (error_.ok()) {
        error_ = staged.status();
      }
      // Recycled with its size: the next ReadBlock's resize then writes nothing.
      free_buffers_.push_back(std::move(block.data));
    }
    cv_.notify_all();
  }
}

Result<LocalBackupWriter::Staged> LocalBackupWriter::Stage(const Block& block) {
  Staged staged{block.digest, session_ + "." + ToHex(block.digest), block.data.size()};
  UniqueFd fd(::openat(dirs_.staging.get(), staged.file.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoStatus(errno, "create staged block " + staged.file);
  Status written = PwriteAll(fd.get(), 0, block.data);
  if (!written.ok()) {
    ::unlinkat(dirs_.staging.get(), staged.file.c_str(), 0);
    return written;
  }
  return staged;
}

Status LocalBackupWriter::Drain() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return error_;
}

Status LocalBackupWriter::Publish() {
  std::lock_guard lock(mu_);
  for (; published_ < staged_.size(); ++published_) {
    const Staged& s = staged_[published_];
    std::string path = BlockPath(s.digest);
    std::string prefix = path.substr(0, 2);
    if (made_dirs_.count(prefix) == 0) {
      if (::mkdirat(dirs_.blocks.get(), prefix.c_str(), 0750) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno, "create block directory " + prefix);
      }
      made_dirs_.insert(prefix);
    }
    if (::renameat(dirs_.staging.get(), s.file.c_str(), dirs_.blocks.get(), path.c_str()) != 0) {
      return ErrnoStatus(errno, "publish block " + path);
    }
    added_.push_back(s.digest);
    added_bytes_ += s.size;
  }
  return Status::Ok();
}

Status LocalBackupWriter::Commit(std::string_view backup_id, const Manifest& manifest) {
  if (committed_) return FailedPrecondition("backup writer already committed");
  for (const auto& digest : manifest.digests) {
    if (taken_.count(digest) == 0) {
      return FailedPrecondition("manifest names block " + ToHex(digest) +
                                " that the writer never saw");
    }
  }
  IMAGEFS_RETURN_IF_ERROR(Drain());
  bool any_staged = false;
  {
    std::lock_guard lock(mu_);
    any_staged = !staged_.empty();
  }
  // Every staged block durable before any of them gets its name (see the rules
  // in backup_store.h): one flush for all of them.
  if (options_.fsync && any_staged) IMAGEFS_RETURN_IF_ERROR(SyncFilesystem(dirs_.top.get()));
  IMAGEFS_RETURN_IF_ERROR(Publish());
  IMAGEFS_ASSIGN_OR_RETURN(UniqueFd holder, OpenHolderDir(dirs_, options_.instance_id, true));
  // The second flush (inside) also makes the renames above durable.
  IMAGEFS_RETURN_IF_ERROR(WriteFileAtomically(holder.get(), std::string(backup_id),
                                              EncodeManifest(manifest), options_.fsync));
  committed_ = true;
  return Status::Ok();
}

}  // namespace imagefs::service::backup
