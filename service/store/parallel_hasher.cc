#include "service/store/parallel_hasher.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include "common/crc32c.h"

namespace imagefs::service {

namespace {

constexpr std::align_val_t kBufferAlignment{4096};

struct AlignedDelete {
  void operator()(char* p) const { ::operator delete[](p, kBufferAlignment); }
};

size_t WholeBlocks(size_t bytes, uint32_t block_size) {
  return std::max<size_t>(1, bytes / block_size) * block_size;
}

}  // namespace

struct ParallelHasher::Buffer {
  std::unique_ptr<char[], AlignedDelete> data;  // allocated on first use
  size_t len = 0;
  uint64_t offset = 0;  // of data[0] in the stream
};

ParallelHasher::ParallelHasher(const ParallelHasherOptions& options, ByteSink* sink)
    : options_(options),
      sink_(sink),
      buffer_size_(WholeBlocks(options.buffer_size, options.block_size)) {
  assert(options.block_size > 0);
  buffers_.resize(std::max<size_t>(2, options.max_buffered / buffer_size_));
  for (Stage stage : {kMd5, kSha512, kBlocks}) {
    if (RunsOnWorker(stage)) {
      workers_.emplace_back([this, stage](std::stop_token stop) { RunStage(stop, stage); });
    }
  }
}

ParallelHasher::~ParallelHasher() {
  for (std::jthread& worker : workers_) {
    worker.request_stop();
  }
  workers_.clear();  // joins
}

ParallelHasher::Buffer& ParallelHasher::BufferFor(uint64_t seq) {
  return buffers_[seq % buffers_.size()];
}

bool ParallelHasher::RunsOnWorker(Stage stage) const {
  switch (stage) {
    case kMd5:
      return options_.md5;
    case kSha512:
      return options_.sha512;
    case kBlocks:
      return !options_.blocks_on_caller;
    case kNumStages:
      break;
  }
  return false;
}

uint64_t ParallelHasher::MinDone() const {
  uint64_t min = published_;
  for (Stage stage : {kMd5, kSha512, kBlocks}) {
    if (RunsOnWorker(stage)) {
      min = std::min(min, done_[stage]);
    }
  }
  return min;
}

void ParallelHasher::Fail(const Status& status) {
  {
    std::lock_guard lock(mu_);
    if (error_.ok()) {
      error_ = status;
    }
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
}

Status ParallelHasher::AcquireBuffer() {
  {
    std::unique_lock lock(mu_);
    space_cv_.wait(lock, [&] { return !error_.ok() || filling_ - MinDone() < buffers_.size(); });
    if (!error_.ok()) {
      return error_;
    }
  }
  Buffer& buffer = BufferFor(filling_);
  if (!buffer.data) {
    buffer.data.reset(new (kBufferAlignment) char[buffer_size_]);
  }
  buffer.len = 0;
  buffer.offset = appended_;
  have_buffer_ = true;
  return Status::Ok();
}

Status ParallelHasher::Publish() {
  have_buffer_ = false;
  if (options_.blocks_on_caller) {
    Status status = ProcessBlocks(BufferFor(filling_));
    if (!status.ok()) {
      Fail(status);
      return status;
    }
  }
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) {
      return error_;
    }
    published_ = ++filling_;
  }
  work_cv_.notify_all();
  return Status::Ok();
}

Status ParallelHasher::Append(const void* data, size_t n) {
  if (finished_) {
    return FailedPrecondition("Append after Finish");
  }
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    if (!have_buffer_) {
      IMAGEFS_RETURN_IF_ERROR(AcquireBuffer());
    }
    Buffer& buffer = BufferFor(filling_);
    size_t take = std::min(n, buffer_size_ - buffer.len);
    std::memcpy(buffer.data.get() + buffer.len, p, take);
    buffer.len += take;
    appended_ += take;
    p += take;
    n -= take;
    if (buffer.len == buffer_size_) {
      IMAGEFS_RETURN_IF_ERROR(Publish());
    }
  }
  return Status::Ok();
}

Result<HashResult> ParallelHasher::Finish() {
  if (finished_) {
    return FailedPrecondition("Finish called twice");
  }
  finished_ = true;
  Status status = have_buffer_ ? Publish() : Status::Ok();
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  work_cv_.notify_all();
  for (std::jthread& worker : workers_) {
    worker.join();  // not stopped: the stages drain what was published
  }
  workers_.clear();
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) {
      return error_;
    }
  }
  IMAGEFS_RETURN_IF_ERROR(status);
  HashResult result;
  result.size = appended_;
  result.md5_hex = options_.md5 ? md5_.FinishHex() : "";
  result.sha512_hex = options_.sha512 ? sha512_.FinishHex() : "";
  result.block_size = options_.block_size;
  result.block_digests = std::move(block_digests_);
  result.block_crc32c = std::move(block_crc32c_);
  return result;
}

void ParallelHasher::RunStage(std::stop_token stop, Stage stage) {
  for (uint64_t seq = 0;; ++seq) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, stop, [&] { return seq < published_ || closed_ || !error_.ok(); });
      if (stop.stop_requested() || !error_.ok() || seq >= published_) {
        return;
      }
    }
    Status status = Process(stage, BufferFor(seq));
    if (!status.ok()) {
      Fail(status);
      return;
    }
    {
      std::lock_guard lock(mu_);
      done_[stage] = seq + 1;
    }
    space_cv_.notify_one();
  }
}

Status ParallelHasher::Process(Stage stage, const Buffer& buffer) {
  switch (stage) {
    case kMd5:
      md5_.Update(buffer.data.get(), buffer.len);
      return Status::Ok();
    case kSha512:
      sha512_.Update(buffer.data.get(), buffer.len);
      return Status::Ok();
    case kBlocks:
      return ProcessBlocks(buffer);
    case kNumStages:
      break;
  }
  return Internal("unknown pipeline stage");
}

Status ParallelHasher::ProcessBlocks(const Buffer& buffer) {
  const char* data = buffer.data.get();
  for (size_t at = 0; at < buffer.len; at += options_.block_size) {
    size_t len = std::min<size_t>(options_.block_size, buffer.len - at);
    block_digests_.push_back(Sha256Raw(data + at, len));
    // About a tenth of the SHA-256's time, paid once here so that every later copy of
    // the block can be checked for that instead of another SHA-256.
    block_crc32c_.push_back(Crc32c(data + at, len));
  }
  if (sink_ == nullptr) {
    return Status::Ok();
  }
  return sink_->Write(buffer.offset, std::string_view(data, buffer.len));
}

}  // namespace imagefs::service
