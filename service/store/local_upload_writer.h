// The UploadWriter of LocalDirStore: streams into <dir>/incoming/<name>.part
// through a ParallelHasher whose sink is the file. See local_dir_store.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "service/store/file_io.h"
#include "service/store/image_store.h"
#include "service/store/local_dir_store.h"
#include "service/store/parallel_hasher.h"

namespace imagefs::service {

class LocalUploadWriter final : public UploadWriter, private ByteSink {
 public:
  // `fd` is the open, empty file incoming/`temp_name`; the writer owns both.
  LocalUploadWriter(const LocalDirStoreOptions& options, std::shared_ptr<const StoreDirs> dirs,
                    std::string image_id, std::string temp_name, UniqueFd fd);
  // Before Commit(): stops the pipeline and deletes the temporary file.
  ~LocalUploadWriter() override;
  LocalUploadWriter(const LocalUploadWriter&) = delete;
  LocalUploadWriter& operator=(const LocalUploadWriter&) = delete;

  // UploadWriter
  Status Append(const void* data, size_t n) override;
  uint64_t bytes_appended() const override { return appended_; }
  Result<UploadResult> Finish() override;
  RangeReader& Data() override { return *data_; }
  Status Commit() override;

 private:
  enum class State { kWriting, kFailed, kFinished, kCommitted };

  // ByteSink: called from the pipeline's block stage.
  Status Write(uint64_t offset, std::string_view data) override;

  // Marks the upload failed with `status`, stops the pipeline, deletes the file.
  Status Fail(Status status);
  void Discard();

  const LocalDirStoreOptions options_;
  const std::shared_ptr<const StoreDirs> dirs_;
  const std::string image_id_;
  const std::string temp_name_;
  UniqueFd fd_;
  State state_ = State::kWriting;
  Status failure_;
  uint64_t appended_ = 0;
  std::unique_ptr<RangeReader> data_;
  // Last: destroyed first, so its threads stop before fd_ closes.
  std::unique_ptr<ParallelHasher> hasher_;
};

}  // namespace imagefs::service
