// RocksCatalog: tasks (kept in memory as well, loaded at open) and documents (read
// from RocksDB on each list; they are few and rarely read).
#include <rocksdb/iterator.h>

#include "service/catalog/keys.h"
#include "service/catalog/rocks_catalog.h"

namespace imagefs::service::catalog {
namespace {

bool HasPrefix(const rocksdb::Slice& key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::string_view(key.data(), prefix.size()) == prefix;
}

Status NoTask(std::string_view id) {
  return NotFound("Task with the given id " + std::string(id) + " not found");
}

bool IsStorableKey(std::string_view key) {
  return !key.empty() && key.find('\0') == std::string_view::npos;
}

}  // namespace

Status RocksCatalog::LoadTasks(rocksdb::Iterator& it) {
  std::lock_guard<std::mutex> lock(tasks_mu_);
  for (it.Seek(std::string(kTaskPrefix)); it.Valid() && HasPrefix(it.key(), kTaskPrefix);
       it.Next()) {
    IMAGEFS_ASSIGN_OR_RETURN(wire::Task task, wire::DecodeTask(it.value().ToStringView()));
    if (TaskKey(task.id) != it.key().ToStringView()) {
      return DataLoss("task record under key " + it.key().ToString() + " has id " + task.id);
    }
    tasks_[task.id] = std::move(task);
  }
  return FromRocks(it.status());
}

void RocksCatalog::PublishTask(const wire::Task& task) {
  std::lock_guard<std::mutex> lock(tasks_mu_);
  tasks_[task.id] = task;
}

Status RocksCatalog::CreateTask(const wire::Task& task) {
  if (!IsStorableImageId(task.id)) return InvalidArgument("bad task id '" + task.id + "'");
  std::lock_guard<std::mutex> writer(task_write_mu_);
  {
    std::lock_guard<std::mutex> lock(tasks_mu_);
    if (tasks_.count(task.id) > 0) return AlreadyExists("Task " + task.id + " already exists");
  }
  rocksdb::WriteBatch batch;
  batch.Put(TaskKey(task.id), wire::EncodeTask(task));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  PublishTask(task);
  return Status::Ok();
}

Result<wire::Task> RocksCatalog::GetTask(std::string_view id) {
  std::lock_guard<std::mutex> lock(tasks_mu_);
  auto it = tasks_.find(std::string(id));
  if (it == tasks_.end()) return NoTask(id);
  return it->second;
}

Result<wire::Task> RocksCatalog::UpdateTask(std::string_view id, const TaskMutation& mutate) {
  std::lock_guard<std::mutex> writer(task_write_mu_);
  IMAGEFS_ASSIGN_OR_RETURN(wire::Task next, GetTask(id));
  IMAGEFS_RETURN_IF_ERROR(mutate(next));
  if (next.id != id) return InvalidArgument("an update may not change the task id");
  rocksdb::WriteBatch batch;
  batch.Put(TaskKey(next.id), wire::EncodeTask(next));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  PublishTask(next);
  return next;
}

Result<std::vector<wire::Task>> RocksCatalog::ListTasks() {
  std::lock_guard<std::mutex> lock(tasks_mu_);
  std::vector<wire::Task> out;
  out.reserve(tasks_.size());
  for (const auto& [id, task] : tasks_) out.push_back(task);
  return out;
}

Status RocksCatalog::DeleteTasks(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> writer(task_write_mu_);
  rocksdb::WriteBatch batch;
  for (const auto& id : ids) batch.Delete(TaskKey(id));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  std::lock_guard<std::mutex> lock(tasks_mu_);
  for (const auto& id : ids) tasks_.erase(id);
  return Status::Ok();
}

Result<wire::Image> RocksCatalog::UpdateImageWithTask(std::string_view image_id,
                                                      const ImageMutation& mutate,
                                                      const wire::Task& task) {
  if (!IsStorableImageId(task.id)) return InvalidArgument("bad task id '" + task.id + "'");
  return Update(image_id, mutate, nullptr, &task);
}

Status RocksCatalog::WriteDocuments(std::string_view kind, const std::vector<Document>& puts,
                                    const std::vector<std::string>& deletes) {
  if (!IsStorableImageId(kind)) return InvalidArgument("bad document kind");
  rocksdb::WriteBatch batch;
  for (const auto& key : deletes) batch.Delete(DocumentKey(kind, key));
  for (const Document& d : puts) {
    if (!IsStorableKey(d.key)) return InvalidArgument("bad document key");
    batch.Put(DocumentKey(kind, d.key), d.value);
  }
  return Write(batch);
}

Result<std::vector<Document>> RocksCatalog::ListDocuments(std::string_view kind) {
  std::string prefix = DocumentPrefix(kind);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::vector<Document> out;
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    out.push_back(Document{it->key().ToString().substr(prefix.size()), it->value().ToString()});
  }
  IMAGEFS_RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

}  // namespace imagefs::service::catalog
