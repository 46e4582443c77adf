#include "service/catalog/rocks_catalog.h"

#include <functional>
#include <utility>

#include <rocksdb/options.h>

#include "service/catalog/keys.h"
#include "service/catalog/list_engine.h"
#include "service/catalog/record_codec.h"

namespace imagefs::service {

Result<std::unique_ptr<Catalog>> OpenRocksCatalog(const RocksCatalogOptions& options) {
  IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<catalog::RocksCatalog> catalog,
                           catalog::RocksCatalog::Open(options));
  return std::unique_ptr<Catalog>(std::move(catalog));
}

namespace catalog {
namespace {

rocksdb::WriteOptions MakeWriteOptions(bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return options;
}

bool HasPrefix(const rocksdb::Slice& key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::string_view(key.data(), prefix.size()) == prefix;
}

Status NoImage(std::string_view id) {
  return NotFound("No image found with ID " + std::string(id));
}

}  // namespace

Status FromRocks(const rocksdb::Status& status) {
  using Code = rocksdb::Status::Code;
  if (status.ok()) return Status::Ok();
  std::string message = "catalog database: " + status.ToString();
  switch (status.code()) {
    case Code::kNotFound:
      return NotFound(std::move(message));
    case Code::kCorruption:
      return DataLoss(std::move(message));
    case Code::kBusy:
    case Code::kTimedOut:
    case Code::kTryAgain:
      return Unavailable(std::move(message));
    case Code::kIOError:
      if (status.IsNoSpace()) return ResourceExhausted(std::move(message));
      return Internal(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

RocksCatalog::RocksCatalog(std::unique_ptr<rocksdb::DB> db, const RocksCatalogOptions& options)
    : write_options_(MakeWriteOptions(options.sync)), db_(std::move(db)) {}

Result<std::unique_ptr<RocksCatalog>> RocksCatalog::Open(const RocksCatalogOptions& options) {
  if (options.path.empty()) return InvalidArgument("catalog path is required");
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.keep_log_file_num = 4;  // RocksDB's info LOGs, not the WAL
  rocksdb::DB* raw = nullptr;
  IMAGEFS_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options.path, &raw))
                              .Annotate("opening " + options.path));
  std::unique_ptr<RocksCatalog> catalog(
      new RocksCatalog(std::unique_ptr<rocksdb::DB>(raw), options));
  IMAGEFS_RETURN_IF_ERROR(catalog->CheckFormat());
  IMAGEFS_RETURN_IF_ERROR(catalog->Load());
  return catalog;
}

Status RocksCatalog::CheckFormat() {
  std::string format;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(kFormatKey), &format);
  if (s.IsNotFound()) {
    return FromRocks(
        db_->Put(MakeWriteOptions(true), std::string(kFormatKey), std::string(kFormatVersion)));
  }
  IMAGEFS_RETURN_IF_ERROR(FromRocks(s));
  if (format != kFormatVersion) {
    return FailedPrecondition("catalog layout version " + format +
                              " is not understood by this imaged (it knows " +
                              std::string(kFormatVersion) + ")");
  }
  return Status::Ok();
}

Status RocksCatalog::Load() {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // read once, then served from memory
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  std::unique_lock lock(mu_);
  IMAGEFS_RETURN_IF_ERROR(LoadImages(*it));
  IMAGEFS_RETURN_IF_ERROR(LoadMembers(*it));
  IMAGEFS_RETURN_IF_ERROR(LoadTasks(*it));
  return FromRocks(it->status());
}

Status RocksCatalog::LoadImages(rocksdb::Iterator& it) {
  std::vector<ImagePtr> images;
  for (it.Seek(std::string(kImagePrefix)); it.Valid() && HasPrefix(it.key(), kImagePrefix);
       it.Next()) {
    IMAGEFS_ASSIGN_OR_RETURN(wire::Image image, DecodeImage(it.value().ToStringView()));
    if (ImageKey(image.id) != it.key().ToStringView()) {
      return DataLoss("image record under key " + it.key().ToString() + " has id " + image.id);
    }
    images.push_back(std::make_shared<const wire::Image>(std::move(image)));
  }
  IMAGEFS_RETURN_IF_ERROR(FromRocks(it.status()));
  index_.LoadImages(std::move(images));  // keys are unique, so ids are distinct
  return Status::Ok();
}

Status RocksCatalog::LoadMembers(rocksdb::Iterator& it) {
  for (it.Seek(std::string(kMemberPrefix)); it.Valid() && HasPrefix(it.key(), kMemberPrefix);
       it.Next()) {
    IMAGEFS_ASSIGN_OR_RETURN(wire::Member member, DecodeMember(it.value().ToStringView()));
    if (MemberKey(member.image_id, member.member_id) != it.key().ToStringView()) {
      return DataLoss("member record under key " + it.key().ToString() + " does not match it");
    }
    index_.PutMember(member);
  }
  return FromRocks(it.status());
}

Status RocksCatalog::Write(rocksdb::WriteBatch& batch) {
  return FromRocks(db_->Write(write_options_, &batch));
}

std::mutex& RocksCatalog::ImageLock(std::string_view id) {
  return image_locks_[std::hash<std::string_view>{}(id) % kImageLockStripes];
}

Result<ImagePtr> RocksCatalog::FindLive(std::string_view id) {
  std::shared_lock lock(mu_);
  const ImagePtr* image = index_.FindImage(id);
  if (image == nullptr || IsDeleted(**image)) return NoImage(id);
  return *image;
}

void RocksCatalog::Publish(wire::Image image) {
  auto ptr = std::make_shared<const wire::Image>(std::move(image));
  std::unique_lock lock(mu_);
  index_.PutImage(std::move(ptr));
}

Status RocksCatalog::CreateImage(const wire::Image& image) {
  if (!IsStorableImageId(image.id)) {
    return InvalidArgument("image id '" + image.id + "' is empty or holds '/' or NUL");
  }
  std::lock_guard image_lock(ImageLock(image.id));
  {
    std::shared_lock lock(mu_);
    if (index_.FindImage(image.id) != nullptr) {
      return AlreadyExists("Image with identifier " + image.id + " already exists!");
    }
  }
  rocksdb::WriteBatch batch;
  batch.Put(ImageKey(image.id), EncodeImage(image));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  Publish(image);
  return Status::Ok();
}

Result<wire::Image> RocksCatalog::GetImage(std::string_view id) {
  ImagePtr image;
  {
    std::shared_lock lock(mu_);
    const ImagePtr* found = index_.FindImage(id);
    if (found == nullptr) return NoImage(id);
    image = *found;
  }
  return *image;  // the copy is made outside the lock
}

Result<wire::Image> RocksCatalog::UpdateImage(std::string_view id, const ImageMutation& mutate) {
  return Update(id, mutate, nullptr);
}

Result<wire::Image> RocksCatalog::UpdateImageWithBlockMap(std::string_view id,
                                                          const ImageMutation& mutate,
                                                          const wire::BlockMap& block_map) {
  return Update(id, mutate, &block_map);
}

Result<wire::Image> RocksCatalog::Update(std::string_view id, const ImageMutation& mutate,
                                         const wire::BlockMap* block_map, const wire::Task* task) {
  std::lock_guard image_lock(ImageLock(id));
  IMAGEFS_ASSIGN_OR_RETURN(ImagePtr current, FindLive(id));
  wire::Image next = *current;
  IMAGEFS_RETURN_IF_ERROR(mutate(next));
  if (next.id != current->id) return InvalidArgument("an update may not change the image id");
  rocksdb::WriteBatch batch;
  batch.Put(ImageKey(next.id), EncodeImage(next));
  if (block_map != nullptr) batch.Put(BlockMapKey(next.id), EncodeBlockMap(*block_map));
  std::unique_lock<std::mutex> task_lock;
  if (task != nullptr) {
    task_lock = std::unique_lock<std::mutex>(task_write_mu_);
    batch.Put(TaskKey(task->id), wire::EncodeTask(*task));
  }
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  Publish(next);
  if (task != nullptr) PublishTask(*task);
  return next;
}

Result<wire::BlockMap> RocksCatalog::GetBlockMap(std::string_view id) {
  IMAGEFS_RETURN_IF_ERROR(FindLive(id).status());
  std::string record;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), BlockMapKey(id), &record);
  if (s.IsNotFound()) return NotFound("image " + std::string(id) + " has no block map");
  IMAGEFS_RETURN_IF_ERROR(FromRocks(s));
  return DecodeBlockMap(record);
}

Result<wire::Image> RocksCatalog::DeleteImage(std::string_view id, int64_t now) {
  std::lock_guard image_lock(ImageLock(id));
  IMAGEFS_ASSIGN_OR_RETURN(ImagePtr current, FindLive(id));
  wire::Image next = *current;
  next.status = wire::ImageStatus::kDeleted;
  next.deleted_at = now;
  next.updated_at = now;
  rocksdb::WriteBatch batch;
  batch.Put(ImageKey(next.id), EncodeImage(next));
  batch.Delete(BlockMapKey(next.id));
  std::vector<wire::Member> members;
  {
    std::shared_lock lock(mu_);
    members = index_.MembersOf(id);
  }
  for (const wire::Member& m : members) batch.Delete(MemberKey(id, m.member_id));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  auto ptr = std::make_shared<const wire::Image>(next);
  std::unique_lock lock(mu_);
  index_.PutImage(std::move(ptr));
  index_.RemoveMembersOf(id);
  return next;
}

bool RocksCatalog::IsVisible(const wire::Image& image, const Identity& caller) {
  if (IsDeleted(image)) return false;
  std::shared_lock lock(mu_);
  return index_.IsReadable(image, caller);
}

Result<ListPage> RocksCatalog::ListImages(const ListQuery& query) {
  ListResult result;
  {
    std::shared_lock lock(mu_);
    IMAGEFS_ASSIGN_OR_RETURN(result, RunListQuery(index_, query));
  }
  ListPage page;
  page.images.reserve(result.images.size());
  for (const ImagePtr& image : result.images) page.images.push_back(*image);
  page.full = query.limit > 0 && page.images.size() == query.limit;
  return page;
}

void RocksCatalog::ForEachImage(const std::function<void(const wire::Image&)>& fn) {
  std::vector<ImagePtr> snapshot;
  {
    std::shared_lock lock(mu_);
    snapshot.reserve(index_.images().size());
    for (const auto& [id, image] : index_.images()) snapshot.push_back(image);
  }
  for (const ImagePtr& image : snapshot) fn(*image);
}

size_t RocksCatalog::ImageCount() {
  std::shared_lock lock(mu_);
  return index_.LiveCount();
}

}  // namespace catalog
}  // namespace imagefs::service
