// RocksBackupCatalog: BackupCatalog on a RocksDB database of its own. Keys:
//   "format"                     layout version
//   "instance"                   the instance id (a UUID, made once)
//   "b/<id>"                     the record (EncodeBackupRecord)
//   "m/<id>"                     the manifest (EncodeManifest), once complete
//   "r/<container>/<raw digest>" the block's reference count, 8 bytes LE
// A write goes to RocksDB first and is published to memory after it succeeded, so
// memory never shows what the disk does not hold.
#include "service/backup/backup_catalog.h"

#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/thread_annotations.h"
#include "common/uuid.h"
#include "service/backup/backup_codec.h"

namespace imagefs::service::backup {
namespace {

constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormatVersion = "1";
constexpr std::string_view kInstanceKey = "instance";
constexpr std::string_view kRecordPrefix = "b/";
constexpr std::string_view kManifestPrefix = "m/";
constexpr std::string_view kRefPrefix = "r/";

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  std::string message = "backup database: " + s.ToString();
  if (s.IsNotFound()) return NotFound(std::move(message));
  if (s.IsCorruption()) return DataLoss(std::move(message));
  if (s.IsNoSpace()) return ResourceExhausted(std::move(message));
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Unavailable(std::move(message));
  return Internal(std::move(message));
}

std::string RecordKey(std::string_view id) { return std::string(kRecordPrefix) + std::string(id); }
std::string ManifestKey(std::string_view id) {
  return std::string(kManifestPrefix) + std::string(id);
}
// Also the key of the in-memory count map (without the prefix).
std::string RefName(std::string_view container, std::string_view digest) {
  return std::string(container) + "/" + std::string(digest);
}

std::string EncodeCount(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

Result<uint64_t> DecodeCount(std::string_view v) {
  if (v.size() != 8) return DataLoss("backup database: malformed reference count");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(v[i]);
  return n;
}

Status NoBackup(std::string_view id) {
  return NotFound("Backup " + std::string(id) + " could not be found.");
}

class RocksBackupCatalog final : public BackupCatalog {
 public:
  RocksBackupCatalog(std::unique_ptr<rocksdb::DB> db, bool sync) : db_(std::move(db)) {
    write_options_.sync = sync;
  }

  Status Load();

  // BackupCatalog
  const std::string& instance_id() const override { return instance_id_; }
  Status Create(const Backup& backup) override;
  Result<Backup> Get(std::string_view id) override;
  Result<Backup> Update(std::string_view id, const BackupMutation& mutate) override;
  Result<Backup> Complete(std::string_view id, const BackupMutation& mutate,
                          const Manifest& manifest) override;
  Result<Backup> Uncount(std::string_view id, const BackupMutation& mutate) override;
  Result<Manifest> GetManifest(std::string_view id) override;
  Status Remove(std::string_view id) override;
  uint64_t RefCount(std::string_view container, std::string_view digest) override;
  std::vector<Backup> List() override;

 private:
  using CountChanges = std::unordered_map<std::string, uint64_t>;

  Status LoadInstanceId();
  Status LoadRecords();
  Status LoadCounts();
  // The read-modify-write shared by Update, Complete and Uncount. `extra` adds
  // to the batch and fills `counts` (new values of changed counts).
  Result<Backup> Mutate(
      std::string_view id, const BackupMutation& mutate,
      const std::function<Status(Backup&, rocksdb::WriteBatch&, CountChanges&)>& extra);
  // Adds `delta` (+1 or -1) to the count of every distinct digest of `manifest`.
  // Called with write_mu_ held (from Mutate's `extra`), so counts cannot move.
  Status AdjustCounts(const std::string& container, const Manifest& manifest, int delta,
                      rocksdb::WriteBatch& batch, CountChanges& counts);

  rocksdb::WriteOptions write_options_;
  const std::unique_ptr<rocksdb::DB> db_;
  std::string instance_id_;
  // Lock order: write_mu_, then mu_. mu_ is never held across I/O.
  std::mutex write_mu_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Backup> records_ GUARDED_BY(mu_);
  std::unordered_map<std::string, uint64_t> counts_ GUARDED_BY(mu_);
};

Status RocksBackupCatalog::Load() {
  std::string format;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(kFormatKey), &format);
  if (s.IsNotFound()) {
    IMAGEFS_RETURN_IF_ERROR(
        FromRocks(db_->Put(write_options_, std::string(kFormatKey), std::string(kFormatVersion))));
  } else {
    IMAGEFS_RETURN_IF_ERROR(FromRocks(s));
    if (format != kFormatVersion) {
      return FailedPrecondition("backup database layout " + format + " is not understood");
    }
  }
  IMAGEFS_RETURN_IF_ERROR(LoadInstanceId());
  IMAGEFS_RETURN_IF_ERROR(LoadRecords());
  return LoadCounts();
}

Status RocksBackupCatalog::LoadInstanceId() {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(kInstanceKey), &instance_id_);
  if (!s.IsNotFound()) return FromRocks(s);
  instance_id_ = NewUuid();
  return FromRocks(db_->Put(write_options_, std::string(kInstanceKey), instance_id_));
}

Status RocksBackupCatalog::LoadRecords() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::unique_lock lock(mu_);
  for (it->Seek(std::string(kRecordPrefix)); it->Valid() && it->key().starts_with(kRecordPrefix);
       it->Next()) {
    IMAGEFS_ASSIGN_OR_RETURN(Backup b, DecodeBackupRecord(it->value().ToStringView()));
    if (RecordKey(b.id) != it->key().ToStringView()) {
      return DataLoss("backup record under " + it->key().ToString() + " has id " + b.id);
    }
    records_.emplace(b.id, std::move(b));
  }
  return FromRocks(it->status());
}

Status RocksBackupCatalog::LoadCounts() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::unique_lock lock(mu_);
  for (it->Seek(std::string(kRefPrefix)); it->Valid() && it->key().starts_with(kRefPrefix);
       it->Next()) {
    IMAGEFS_ASSIGN_OR_RETURN(uint64_t n, DecodeCount(it->value().ToStringView()));
    counts_[std::string(it->key().ToStringView().substr(kRefPrefix.size()))] = n;
  }
  return FromRocks(it->status());
}

Status RocksBackupCatalog::Create(const Backup& backup) {
  std::lock_guard write(write_mu_);
  {
    std::shared_lock lock(mu_);
    if (records_.count(backup.id) > 0) {
      return AlreadyExists("Backup " + backup.id + " already exists.");
    }
  }
  IMAGEFS_RETURN_IF_ERROR(
      FromRocks(db_->Put(write_options_, RecordKey(backup.id), EncodeBackupRecord(backup))));
  std::unique_lock lock(mu_);
  records_[backup.id] = backup;
  return Status::Ok();
}

Result<Backup> RocksBackupCatalog::Get(std::string_view id) {
  std::shared_lock lock(mu_);
  auto it = records_.find(std::string(id));
  if (it == records_.end()) return NoBackup(id);
  return it->second;
}

Result<Backup> RocksBackupCatalog::Mutate(
    std::string_view id, const BackupMutation& mutate,
    const std::function<Status(Backup&, rocksdb::WriteBatch&, CountChanges&)>& extra) {
  std::lock_guard write(write_mu_);
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, Get(id));
  IMAGEFS_RETURN_IF_ERROR(mutate(backup));
  rocksdb::WriteBatch batch;
  CountChanges counts;
  if (extra) IMAGEFS_RETURN_IF_ERROR(extra(backup, batch, counts));
  batch.Put(RecordKey(backup.id), EncodeBackupRecord(backup));
  IMAGEFS_RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch)));
  std::unique_lock lock(mu_);
  for (const auto& [name, n] : counts) {
    if (n == 0) {
      counts_.erase(name);
    } else {
      counts_[name] = n;
    }
  }
  records_[backup.id] = backup;
  return backup;
}

Result<Backup> RocksBackupCatalog::Update(std::string_view id, const BackupMutation& mutate) {
  return Mutate(id, mutate, nullptr);
}

Status RocksBackupCatalog::AdjustCounts(const std::string& container, const Manifest& manifest,
                                        int delta, rocksdb::WriteBatch& batch,
                                        CountChanges& counts) {
  std::set<std::string_view> distinct(manifest.digests.begin(), manifest.digests.end());
  std::shared_lock lock(mu_);
  for (std::string_view digest : distinct) {
    std::string name = RefName(container, digest);
    auto it = counts_.find(name);
    uint64_t n = it == counts_.end() ? 0 : it->second;
    if (delta < 0 && n == 0) return Internal("backup reference count would go below zero");
    n = delta > 0 ? n + 1 : n - 1;
    std::string key = std::string(kRefPrefix) + name;
    if (n == 0) {
      batch.Delete(key);
    } else {
      batch.Put(key, EncodeCount(n));
    }
    counts[std::move(name)] = n;
  }
  return Status::Ok();
}

Result<Backup> RocksBackupCatalog::Complete(std::string_view id, const BackupMutation& mutate,
                                            const Manifest& manifest) {
  IMAGEFS_RETURN_IF_ERROR(manifest.Validate());
  return Mutate(id, mutate, [&](Backup& b, rocksdb::WriteBatch& batch, CountChanges& counts) {
    if (b.counted) return FailedPrecondition("backup " + b.id + " is already complete");
    b.counted = true;
    batch.Put(ManifestKey(b.id), EncodeManifest(manifest));
    return AdjustCounts(b.container, manifest, +1, batch, counts);
  });
}

Result<Backup> RocksBackupCatalog::Uncount(std::string_view id, const BackupMutation& mutate) {
  return Mutate(id, mutate, [&](Backup& b, rocksdb::WriteBatch& batch, CountChanges& counts) {
    if (!b.counted) return Status::Ok();
    IMAGEFS_ASSIGN_OR_RETURN(Manifest manifest, GetManifest(b.id));
    b.counted = false;
    return AdjustCounts(b.container, manifest, -1, batch, counts);
  });
}

Result<Manifest> RocksBackupCatalog::GetManifest(std::string_view id) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ManifestKey(id), &value);
  if (s.IsNotFound()) return NotFound("backup " + std::string(id) + " has no manifest");
  IMAGEFS_RETURN_IF_ERROR(FromRocks(s));
  return DecodeManifest(value);
}

Status RocksBackupCatalog::Remove(std::string_view id) {
  std::lock_guard write(write_mu_);
  IMAGEFS_ASSIGN_OR_RETURN(Backup backup, Get(id));
  if (backup.counted) return FailedPrecondition("backup " + backup.id + " still holds blocks");
  rocksdb::WriteBatch batch;
  batch.Delete(RecordKey(id));
  batch.Delete(ManifestKey(id));
  IMAGEFS_RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch)));
  std::unique_lock lock(mu_);
  records_.erase(std::string(id));
  return Status::Ok();
}

uint64_t RocksBackupCatalog::RefCount(std::string_view container, std::string_view digest) {
  std::shared_lock lock(mu_);
  auto it = counts_.find(RefName(container, digest));
  return it == counts_.end() ? 0 : it->second;
}

std::vector<Backup> RocksBackupCatalog::List() {
  std::shared_lock lock(mu_);
  std::vector<Backup> out;
  out.reserve(records_.size());
  for (const auto& [id, b] : records_) out.push_back(b);
  return out;
}

}  // namespace

Result<std::unique_ptr<BackupCatalog>> OpenBackupCatalog(const BackupCatalogOptions& options) {
  if (options.path.empty()) return InvalidArgument("backup catalog path is required");
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.keep_log_file_num = 4;
  rocksdb::DB* raw = nullptr;
  IMAGEFS_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options.path, &raw))
                              .Annotate("opening " + options.path));
  auto catalog =
      std::make_unique<RocksBackupCatalog>(std::unique_ptr<rocksdb::DB>(raw), options.sync);
  IMAGEFS_RETURN_IF_ERROR(catalog->Load());
  return std::unique_ptr<BackupCatalog>(std::move(catalog));
}

}  // namespace imagefs::service::backup
