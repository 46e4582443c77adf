// RocksCatalog: the Catalog on RocksDB plus an in-memory ImageIndex.
//
// Internal to service/catalog (it includes RocksDB); everything else reaches it
// through OpenRocksCatalog() in catalog.h.
//
// Writes: the RocksDB WriteBatch goes first (synced when options.sync), then the
// change is published to the index under the exclusive lock, so a reader never
// sees a change that is not durable, and a failed write changes nothing.
// Writers of one image are serialized by a per-image lock (striped by id) held
// from the read to the publish, which makes UpdateImage's read-modify-write atomic.
// Reads take the shared lock only long enough to copy shared_ptrs.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/thread_annotations.h"
#include "service/catalog/catalog.h"
#include "service/catalog/image_index.h"

namespace imagefs::service::catalog {

// The one conversion of a RocksDB status: NotFound -> kNotFound, Corruption ->
// kDataLoss, NoSpace -> kResourceExhausted, Busy/TimedOut/TryAgain -> kUnavailable,
// everything else -> kInternal.
Status FromRocks(const rocksdb::Status& status);

class RocksCatalog final : public Catalog {
 public:
  static Result<std::unique_ptr<RocksCatalog>> Open(const RocksCatalogOptions& options);

  RocksCatalog(const RocksCatalog&) = delete;
  RocksCatalog& operator=(const RocksCatalog&) = delete;
  ~RocksCatalog() override = default;

  // Catalog
  Status CreateImage(const wire::Image& image) override;
  Result<wire::Image> GetImage(std::string_view id) override;
  Result<wire::Image> UpdateImage(std::string_view id, const ImageMutation& mutate) override;
  Result<wire::Image> UpdateImageWithBlockMap(std::string_view id, const ImageMutation& mutate,
                                              const wire::BlockMap& block_map) override;
  Result<wire::BlockMap> GetBlockMap(std::string_view id) override;
  Result<wire::Image> DeleteImage(std::string_view id, int64_t now) override;
  bool IsVisible(const wire::Image& image, const Identity& caller) override;
  Result<ListPage> ListImages(const ListQuery& query) override;
  void ForEachImage(const std::function<void(const wire::Image&)>& fn) override;
  Status AddMember(const wire::Member& member) override;
  Result<wire::Member> GetMember(std::string_view image_id, std::string_view member_id) override;
  Result<std::vector<wire::Member>> ListMembers(std::string_view image_id) override;
  Result<wire::Member> UpdateMember(std::string_view image_id, std::string_view member_id,
                                    const MemberMutation& mutate) override;
  Status RemoveMember(std::string_view image_id, std::string_view member_id) override;
  Status ReplaceMembers(std::string_view image_id,
                        const std::vector<wire::Member>& members) override;
  Result<std::vector<wire::Member>> ListMembershipsOf(std::string_view member_id) override;
  size_t ImageCount() override;
  Status CreateTask(const wire::Task& task) override;
  Result<wire::Task> GetTask(std::string_view id) override;
  Result<wire::Task> UpdateTask(std::string_view id, const TaskMutation& mutate) override;
  Result<std::vector<wire::Task>> ListTasks() override;
  Status DeleteTasks(const std::vector<std::string>& ids) override;
  Result<wire::Image> UpdateImageWithTask(std::string_view image_id, const ImageMutation& mutate,
                                          const wire::Task& task) override;
  Status WriteDocuments(std::string_view kind, const std::vector<Document>& puts,
                        const std::vector<std::string>& deletes) override;
  Result<std::vector<Document>> ListDocuments(std::string_view kind) override;

 private:
  static constexpr size_t kImageLockStripes = 64;

  RocksCatalog(std::unique_ptr<rocksdb::DB> db, const RocksCatalogOptions& options);

  Status CheckFormat();
  Status Load() EXCLUDES(mu_);
  Status LoadImages(rocksdb::Iterator& it) REQUIRES(mu_);
  Status LoadMembers(rocksdb::Iterator& it) REQUIRES(mu_);
  Status LoadTasks(rocksdb::Iterator& it) EXCLUDES(tasks_mu_);

  Status Write(rocksdb::WriteBatch& batch);
  // The writer lock of image `id` (see the file comment).
  std::mutex& ImageLock(std::string_view id);
  // The image unless unknown or deleted (NotFound "No image found with ID <id>").
  Result<ImagePtr> FindLive(std::string_view id) EXCLUDES(mu_);
  // `block_map` and `task`, when not null, go in the image's batch.
  Result<wire::Image> Update(std::string_view id, const ImageMutation& mutate,
                             const wire::BlockMap* block_map, const wire::Task* task = nullptr)
      EXCLUDES(mu_);
  void PublishTask(const wire::Task& task) EXCLUDES(tasks_mu_);
  void Publish(wire::Image image) EXCLUDES(mu_);

  const rocksdb::WriteOptions write_options_;
  const std::unique_ptr<rocksdb::DB> db_;
  // Lock order: at most one image lock, then mu_. mu_ is never held across I/O.
  std::array<std::mutex, kImageLockStripes> image_locks_;
  mutable std::shared_mutex mu_;
  ImageIndex index_ GUARDED_BY(mu_);
  // Task writers hold task_write_mu_ from the read to the publish (acquired after an
  // image lock); readers take tasks_mu_ only to copy.
  std::mutex task_write_mu_;
  mutable std::mutex tasks_mu_;
  std::map<std::string, wire::Task> tasks_ GUARDED_BY(tasks_mu_);
};

}  // namespace imagefs::service::catalog
