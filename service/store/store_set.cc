#include "service/store/store_set.h"

#include <algorithm>
#include <numeric>

namespace imagefs::service {

Result<std::unique_ptr<StoreSet>> StoreSet::Create(std::vector<std::unique_ptr<ImageStore>> stores,
                                                   std::vector<StoreInfo> infos,
                                                   std::string default_id) {
  if (stores.empty()) return InvalidArgument("at least one store is required");
  if (infos.size() != stores.size()) return InvalidArgument("one StoreInfo per store");
  std::vector<size_t> order(stores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return stores[a]->id() < stores[b]->id(); });
  std::unique_ptr<StoreSet> set(new StoreSet());
  for (size_t i : order) {
    const std::string& id = stores[i]->id();
    if (!set->ids_.empty() && set->ids_.back() == id) {
      return InvalidArgument("store id '" + id + "' is used twice");
    }
    set->ids_.push_back(id);
    set->infos_.push_back(std::move(infos[i]));
    set->stores_.push_back(std::move(stores[i]));
  }
  set->default_id_ = std::move(default_id);
  set->default_ = set->Get(set->default_id_);
  if (set->default_ == nullptr) {
    return InvalidArgument("default store '" + set->default_id_ + "' is not a configured store");
  }
  return set;
}

ImageStore* StoreSet::Get(std::string_view store_id) const {
  for (const auto& s : stores_) {
    if (s->id() == store_id) return s.get();
  }
  return nullptr;
}

const StoreInfo* StoreSet::Info(std::string_view store_id) const {
  for (size_t i = 0; i < stores_.size(); ++i) {
    if (stores_[i]->id() == store_id) return &infos_[i];
  }
  return nullptr;
}

Result<std::unique_ptr<UploadWriter>> StoreSet::BeginUpload(const std::string& image_id) {
  return default_->BeginUpload(image_id);
}

Result<std::unique_ptr<RangeReader>> StoreSet::Open(const std::string& image_id) {
  Status last = NotFound("image " + image_id + " has no data");
  for (const auto& s : stores_) {
    Result<std::unique_ptr<RangeReader>> r = s->Open(image_id);
    if (r.ok() || r.status().code() != StatusCode::kNotFound) return r;
  }
  return last;
}

Status StoreSet::Remove(const std::string& image_id) {
  Status first;
  for (const auto& s : stores_) {
    Status st = s->Remove(image_id);
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

Result<std::vector<std::string>> StoreSet::List() {
  std::vector<std::string> all;
  for (const auto& s : stores_) {
    IMAGEFS_ASSIGN_OR_RETURN(std::vector<std::string> ids, s->List());
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

Status StoreSet::RemoveIncomplete() {
  for (const auto& s : stores_) IMAGEFS_RETURN_IF_ERROR(s->RemoveIncomplete());
  return Status::Ok();
}

Result<uint64_t> StoreSet::FreeBytes() { return default_->FreeBytes(); }

std::string StoreSet::LocationOf(const std::string& image_id) const {
  return default_->LocationOf(image_id);
}

}  // namespace imagefs::service
