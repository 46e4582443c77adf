// LocalDirStore: the default ImageStore, one file per image under options.dir:
//
//   <dir>/data/<image_id>                   committed bytes, never modified
//   <dir>/incoming/<image_id>.<uuid>.part   an upload in progress
//
// An upload writes its .part file through a ParallelHasher; Finish() fsyncs it and
// Commit() renames it into data/ (never replacing) and fsyncs data/. So data/
// only ever holds complete, durable files, and RemoveIncomplete() can delete all
// of incoming/ at startup. Image ids must be UUIDs, so no id names a path outside
// the store. Thread-safe; files are reached through directory descriptors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "service/store/file_io.h"
#include "service/store/image_store.h"

namespace imagefs::service {

// The open directories of one store, shared with its upload writers so a writer
// can still clean up if it outlives the store.
struct StoreDirs {
  UniqueFd data;      // <dir>/data
  UniqueFd incoming;  // <dir>/incoming
};

class LocalDirStore final : public ImageStore {
 public:
  // Creates the directories when missing. InvalidArgument for bad options.
  static Result<std::unique_ptr<LocalDirStore>> Open(const LocalDirStoreOptions& options);

  // ImageStore
  const std::string& id() const override { return options_.id; }
  Result<std::unique_ptr<UploadWriter>> BeginUpload(const std::string& image_id) override;
  Result<std::unique_ptr<RangeReader>> Open(const std::string& image_id) override;
  Status Remove(const std::string& image_id) override;
  Result<std::vector<std::string>> List() override;
  Status RemoveIncomplete() override;
  Result<uint64_t> FreeBytes() override;
  // "file://<absolute dir>/data/<image_id>".
  std::string LocationOf(const std::string& image_id) const override;

 private:
  LocalDirStore(const LocalDirStoreOptions& options, std::shared_ptr<const StoreDirs> dirs)
      : options_(options), dirs_(std::move(dirs)) {}

  const LocalDirStoreOptions options_;
  const std::shared_ptr<const StoreDirs> dirs_;
  std::string data_url_;  // "file://<absolute dir>/data/"
};

// InvalidArgument unless `image_id` is a UUID (which also rules out '/', "..").
Status ValidateImageId(const std::string& image_id);

}  // namespace imagefs::service
