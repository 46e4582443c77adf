#include "service/api/recovery.h"

#include <unordered_set>
#include <vector>

#include "common/log.h"

namespace imagefs::service::api {
namespace {

bool OwnsBytes(const wire::Image& img) {
  return img.status == wire::ImageStatus::kActive ||
         img.status == wire::ImageStatus::kDeactivated;
}

}  // namespace

Result<RecoveryReport> Recover(Catalog& catalog, ImageStore& store, Clock& clock) {
  RecoveryReport report;
  IMAGEFS_RETURN_IF_ERROR(store.RemoveIncomplete());

  std::vector<std::string> saving;
  std::unordered_set<std::string> with_bytes;
  catalog.ForEachImage([&](const wire::Image& img) {
    if (img.status == wire::ImageStatus::kSaving) saving.push_back(img.id);
    if (OwnsBytes(img)) with_bytes.insert(img.id);
  });

  int64_t now = clock.WallMicros();
  for (const auto& id : saving) {
    Result<wire::Image> r = catalog.UpdateImage(id, [now](wire::Image& img) -> Status {
      if (img.status != wire::ImageStatus::kSaving) return Status::Ok();
      img.status = wire::ImageStatus::kQueued;
      img.size.reset();
      img.virtual_size.reset();
      img.updated_at = now;
      return Status::Ok();
    });
    IMAGEFS_RETURN_IF_ERROR(r.status());
    ++report.reset_to_queued;
    IMAGEFS_LOG(WARN, "recovery: image {} was saving when imaged stopped; it is queued again", id);
  }

  IMAGEFS_ASSIGN_OR_RETURN(std::vector<std::string> stored, store.List());
  std::unordered_set<std::string> stored_set(stored.begin(), stored.end());
  for (const auto& id : stored) {
    if (with_bytes.count(id) > 0) continue;
    IMAGEFS_RETURN_IF_ERROR(store.Remove(id));
    ++report.orphans_removed;
    IMAGEFS_LOG(WARN, "recovery: removed orphan data of image {}", id);
  }
  for (const auto& id : with_bytes) {
    if (stored_set.count(id) > 0) continue;
    ++report.missing_data;
    IMAGEFS_LOG(ERROR, "recovery: image {} is active but its data is missing from the store", id);
  }
  return report;
}

}  // namespace imagefs::service::api
