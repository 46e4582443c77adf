#include "service/backup/local_backup_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include <sys/stat.h>

#include "common/crc32c.h"
#include "common/digest.h"
#include "common/uuid.h"
#include "service/backup/backup_codec.h"

namespace imagefs::service::backup {
namespace {

// Reads exactly [offset, offset+n) of `fd`; DataLoss when the file is shorter.
Status PreadExactly(int fd, uint64_t offset, char* buf, size_t n, std::string_view what) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus(errno, "read " + std::string(what));
    if (r == 0) return DataLoss("the " + std::string(what) + " is shorter than its block map");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace

LocalBackupWriter::LocalBackupWriter(const LocalBackupStoreOptions& options, ContainerDirs dirs,
                                     ContainerLock lock)
    : options_(options), dirs_(std::move(dirs)), lock_(std::move(lock)), session_(NewUuid()) {
  if (::mkdirat(dirs_.spool.get(), session_.c_str(), 0750) == 0) {
    spool_ =
        UniqueFd(::openat(dirs_.spool.get(), session_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!spool_.valid()) ::unlinkat(dirs_.spool.get(), session_.c_str(), AT_REMOVEDIR);
  }
  size_t n = std::max<size_t>(options_.write_threads, 1);
  threads_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { Run(stop); });
  }
}

LocalBackupWriter::~LocalBackupWriter() {
  for (auto& t : threads_) t.request_stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mu_);
  for (size_t i = published_; i < staged_.size(); ++i) {
    ::unlinkat(dirs_.staging.get(), staged_[i].file.c_str(), 0);
  }
  if (spool_.valid()) ::unlinkat(dirs_.spool.get(), session_.c_str(), AT_REMOVEDIR);
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
  Block block;
  block.digest = std::move(digest);
  block.data = std::move(data);
  return Enqueue(std::move(block));
}

Status LocalBackupWriter::PutFromFile(std::string digest, std::optional<uint32_t> crc32c, int fd,
                                      uint64_t offset, size_t length) {
  if (fd < 0) return InvalidArgument("PutFromFile needs an open file");
  Block block;
  block.digest = std::move(digest);
  block.crc32c = crc32c;
  block.fd = fd;
  block.offset = offset;
  block.length = length;
  return Enqueue(std::move(block));
}

Status LocalBackupWriter::Enqueue(Block block) {
  taken_.insert(block.digest);
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < options_.write_queue || !error_.ok(); });
    if (!error_.ok()) return error_;
    if (closed_) return FailedPrecondition("backup writer already committed");
    queue_.push_back(std::move(block));
  }
  cv_.notify_all();
  return Status::Ok();
}

void LocalBackupWriter::Run(std::stop_token stop) {
  std::string scratch;  // this thread's buffer, reused for every block
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
        failed ? Result<Staged>(Cancelled("earlier write failed")) : Stage(block, scratch);
    {
      std::lock_guard lock(mu_);
      if (staged.ok()) {
        staged_.push_back(std::move(*staged));
      } else if (error_.ok()) {
        error_ = staged.status();
      }
      // Recycled with its size: the next ReadBlock's resize then writes nothing.
      if (block.fd < 0) free_buffers_.push_back(std::move(block.data));
    }
    cv_.notify_all();
  }
}

Result<LocalBackupWriter::Staged> LocalBackupWriter::Stage(const Block& block,
                                                           std::string& scratch) {
  bool from_file = block.fd >= 0;
  Staged staged{block.digest, session_ + "." + ToHex(block.digest),
                from_file ? block.length : block.data.size()};
  // O_RDWR: a copied block is read back to verify it.
  int dir = spool_.valid() ? spool_.get() : dirs_.staging.get();
  UniqueFd fd(::openat(dir, staged.file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoStatus(errno, "create staged block " + staged.file);
  if (dir != dirs_.staging.get() &&
      ::renameat(dir, staged.file.c_str(), dirs_.staging.get(), staged.file.c_str()) != 0) {
    Status moved = ErrnoStatus(errno, "move staged block " + staged.file);
    ::unlinkat(dir, staged.file.c_str(), 0);
    return moved;
  }
  Status written =
      from_file ? CopyAndVerify(block, fd.get(), scratch) : PwriteAll(fd.get(), 0, block.data);
  if (!written.ok()) {
    ::unlinkat(dirs_.staging.get(), staged.file.c_str(), 0);
    return written;
  }
  if (options_.fsync) {
    // Start writeback now, so the disk works while the next blocks are copied and
    // Commit()'s syncfs only waits for the tail. Advisory: that syncfs is what
    // makes the block durable, so errors are ignored.
    ::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  return staged;
}

Status LocalBackupWriter::CopyAndVerify(const Block& block, int out, std::string& scratch) {
  auto in_offset = static_cast<loff_t>(block.offset);
  loff_t out_offset = 0;
  size_t done = 0;
  bool in_kernel = true;
  while (done < block.length) {
    ssize_t n = ::copy_file_range(block.fd, &in_offset, out, &out_offset, block.length - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      in_kernel = false;  // not between these files: copy through `scratch` below
      break;
    }
    if (n < 0) return ErrnoStatus(errno, "copy block " + ToHex(block.digest));
    if (n == 0) return DataLoss("the source of block " + ToHex(block.digest) + " is short");
    done += static_cast<size_t>(n);
  }
  // Verify what the staged file holds: the bytes that will be published. (When
  // copy_file_range could not copy, the block goes through `scratch` instead.)
  scratch.resize(block.length);
  if (in_kernel) {
    IMAGEFS_RETURN_IF_ERROR(PreadExactly(out, 0, scratch.data(), block.length, "staged block"));
  } else {
    IMAGEFS_RETURN_IF_ERROR(
        PreadExactly(block.fd, block.offset, scratch.data(), block.length, "source"));
    IMAGEFS_RETURN_IF_ERROR(PwriteAll(out, 0, scratch));
  }
  // The CRC, when known, was taken of the same bytes as the digest when they were
  // first hashed, so it catches what this check is for (the image file damaged since
  // upload, a short or torn copy) but for a 2^-32 chance, and spares a second SHA-256,
  // half of this job's CPU. It is no defence against someone who rewrites the image
  // store's files on purpose; such a person could as well serve those bytes to every
  // download of the image.
  if (block.crc32c) {
    if (Crc32c(scratch.data(), scratch.size()) != *block.crc32c) {
      return DataLoss("the block at offset " + std::to_string(block.offset) +
                      " does not match the CRC-32C recorded with its digest " +
                      ToHex(block.digest));
    }
  } else if (Sha256Raw(scratch.data(), scratch.size()) != block.digest) {
    return DataLoss("the block at offset " + std::to_string(block.offset) +
                    " does not match its digest " + ToHex(block.digest));
  }
  return Status::Ok();
}

Status LocalBackupWriter::Drain() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
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
