// StoreSet: the image stores of one imaged (Glance's enabled_backends), by id, with a
// default store. It is itself an ImageStore over all of them, so code written for
// one store keeps working:
//   BeginUpload  -> the default store
//   Open         -> the first store, in id order, holding the image's bytes
//   Remove       -> every store
//   List         -> the union of every store's images
//   RemoveIncomplete -> every store; FreeBytes -> the default store
// With more than one store, imaged is in multi-store mode (docs/api.md): the
// stores are listed by /v2/info/stores, named by X-Image-Meta-Store and the
// import's `stores`, and shown in the image's `stores` field.
// Thread-safe (the set never changes after construction).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/store/image_store.h"

namespace imagefs::service {

struct StoreInfo {
  std::string description;  // Default: "Local directory store"
  std::string type = "file";
  std::string data_dir;      // shown to admins by /v2/info/stores/detail
};

class StoreSet final : public ImageStore {
 public:
  // REQUIRES: `stores` non-empty, ids distinct, `default_id` one of them.
  // InvalidArgument otherwise.
  static Result<std::unique_ptr<StoreSet>> Create(std::vector<std::unique_ptr<ImageStore>> stores,
                                                  std::vector<StoreInfo> infos,
                                                  std::string default_id);

  // The store named `store_id`, or null.
  ImageStore* Get(std::string_view store_id) const;
  const StoreInfo* Info(std::string_view store_id) const;
  // The ids, sorted.
  const std::vector<std::string>& ids() const { return ids_; }
  const std::string& default_id() const { return default_id_; }
  bool multi_store() const { return ids_.size() > 1; }

  // ImageStore (over every store; id() is the default store's)
  const std::string& id() const override { return default_id_; }
  Result<std::unique_ptr<UploadWriter>> BeginUpload(const std::string& image_id) override;
  Result<std::unique_ptr<RangeReader>> Open(const std::string& image_id) override;
  Status Remove(const std::string& image_id) override;
  Result<std::vector<std::string>> List() override;
  Status RemoveIncomplete() override;
  Result<uint64_t> FreeBytes() override;
  std::string LocationOf(const std::string& image_id) const override;

 private:
  StoreSet() = default;

  std::vector<std::unique_ptr<ImageStore>> stores_;  // ordered by id
  std::vector<StoreInfo> infos_;                      // parallel to stores_
  std::vector<std::string> ids_;
  std::string default_id_;
  ImageStore* default_ = nullptr;
};

}  // namespace imagefs::service
