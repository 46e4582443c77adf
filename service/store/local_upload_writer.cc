#include "service/store/local_upload_writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/log.h"

namespace imagefs::service {

namespace {

ParallelHasherOptions HasherOptions(const LocalDirStoreOptions& options) {
  ParallelHasherOptions hasher;
  hasher.block_size = options.block_size;
  return hasher;
}

// rename(2) that never replaces `to`: renameat2(RENAME_NOREPLACE), or link+unlink
// where the filesystem lacks it. EEXIST means `to` exists.
int RenameNoReplace(int from_dir, const char* from, int to_dir, const char* to) {
  if (::renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE) == 0) {
    return 0;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return -1;
  }
  if (::linkat(from_dir, from, to_dir, to, 0) != 0) {
    return -1;
  }
  ::unlinkat(from_dir, from, 0);
  return 0;
}

}  // namespace

LocalUploadWriter::LocalUploadWriter(const LocalDirStoreOptions& options,
                                     std::shared_ptr<const StoreDirs> dirs, std::string image_id,
                                     std::string temp_name, UniqueFd fd)
    : options_(options),
      dirs_(std::move(dirs)),
      image_id_(std::move(image_id)),
      temp_name_(std::move(temp_name)),
      fd_(std::move(fd)),
      data_(std::make_unique<FileRangeReader>(UniqueFd(), 0)),
      hasher_(
          std::make_unique<ParallelHasher>(HasherOptions(options), static_cast<ByteSink*>(this))) {}

LocalUploadWriter::~LocalUploadWriter() {
  if (state_ != State::kCommitted) {
    Discard();
  }
}

void LocalUploadWriter::Discard() {
  hasher_.reset();  // joins the pipeline: nothing writes to fd_ after this
  fd_.Reset();
  if (::unlinkat(dirs_->incoming.get(), temp_name_.c_str(), 0) != 0 && errno != ENOENT) {
    IMAGEFS_LOG(WARN, "cannot remove incomplete upload {}: {}", temp_name_, errno);
  }
}

Status LocalUploadWriter::Fail(Status status) {
  if (state_ != State::kFailed) {
    state_ = State::kFailed;
    failure_ = status;
    Discard();
  }
  return status;
}

Status LocalUploadWriter::Append(const void* data, size_t n) {
  if (state_ == State::kFailed) {
    return failure_;
  }
  if (state_ != State::kWriting) {
    return FailedPrecondition("upload already finished");
  }
  if (n > options_.max_image_size - appended_) {
    return Fail(ResourceExhausted("image data exceeds the maximum image size of " +
                                  std::to_string(options_.max_image_size) + " bytes"));
  }
  Status status = hasher_->Append(data, n);
  if (!status.ok()) {
    return Fail(std::move(status));
  }
  appended_ += n;
  return Status::Ok();
}

Result<UploadResult> LocalUploadWriter::Finish() {
  if (state_ == State::kFailed) {
    return failure_;
  }
  if (state_ != State::kWriting) {
    return FailedPrecondition("Finish called twice");
  }
  Result<HashResult> hashed = hasher_->Finish();
  if (!hashed.ok()) {
    return Fail(hashed.status());
  }
  if (options_.fsync) {
    Status synced = Fsync(fd_.get(), "upload " + temp_name_);
    if (!synced.ok()) {
      return Fail(std::move(synced));
    }
  }
  int reader_fd = ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
  if (reader_fd < 0) {
    return Fail(ErrnoStatus(errno, "dup upload fd"));
  }
  data_ = std::make_unique<FileRangeReader>(UniqueFd(reader_fd), hashed->size);
  state_ = State::kFinished;
  UploadResult result;
  result.size = hashed->size;
  result.md5_hex = std::move(hashed->md5_hex);
  result.sha512_hex = std::move(hashed->sha512_hex);
  result.block_size = hashed->block_size;
  result.block_digests = std::move(hashed->block_digests);
  result.block_crc32c = std::move(hashed->block_crc32c);
  return result;
}

Status LocalUploadWriter::Commit() {
  if (state_ != State::kFinished) {
    return FailedPrecondition("Commit requires a finished, uncommitted upload");
  }
  if (RenameNoReplace(dirs_->incoming.get(), temp_name_.c_str(), dirs_->data.get(),
                      image_id_.c_str()) != 0) {
    if (errno == EEXIST) {
      return AlreadyExists("image " + image_id_ + " already has data");
    }
    return ErrnoStatus(errno, "commit upload of image " + image_id_);
  }
  if (options_.fsync) {
    Status synced = Fsync(dirs_->data.get(), "data directory");
    if (!synced.ok()) {
      // Bytes must not be visible unless Commit() succeeds: take them back.
      ::unlinkat(dirs_->data.get(), image_id_.c_str(), 0);
      return Fail(std::move(synced));
    }
  }
  state_ = State::kCommitted;
  return Status::Ok();
}

Status LocalUploadWriter::Write(uint64_t offset, std::string_view data) {
  IMAGEFS_RETURN_IF_ERROR(PwriteAll(fd_.get(), offset, data));
  if (options_.fsync) {
    // Start writeback now (as RocksDB's bytes_per_sync does), so the disk works
    // while we hash and Finish()'s fsync only waits for the tail. Advisory: the
    // fsync in Finish() is what makes the data durable, so errors are ignored.
    ::sync_file_range(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(data.size()),
                      SYNC_FILE_RANGE_WRITE);
  }
  return Status::Ok();
}

}  // namespace imagefs::service
