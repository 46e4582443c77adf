#include "fs/block_maps.h"

#include "common/digest.h"
#include "common/log.h"

namespace imagefs::fs {
namespace {

constexpr size_t kMaxLayouts = 1024;
// How long "this image has no digests" is believed before asking again.
constexpr std::chrono::seconds kNoMapTtl{60};

bool Fits(const wire::Image& image, const wire::BlockMap& map) {
  return map.block_size > 0 && map.algorithm == "sha256" &&
         map.size == static_cast<uint64_t>(image.size.value_or(-1)) &&
         (map.content_key.empty() || map.content_key == image.ContentKey()) &&
         map.digests.size() == map.BlockCount();
}

}  // namespace

BlockMaps::BlockMaps(CatalogClient& client, StateStore* store, Clock& clock,
                     std::chrono::milliseconds retry_deadline)
    : client_(client), store_(store), clock_(clock), retry_deadline_(retry_deadline) {}

std::shared_ptr<const cache::ImageLayout> BlockMaps::Remember(const wire::Image& image,
                                                              const wire::BlockMap& map) {
  auto layout = std::make_shared<cache::ImageLayout>();
  layout->image_id = image.id;
  layout->content_key = image.ContentKey();
  layout->size = map.size;
  layout->block_size = map.block_size;
  layout->digests = std::make_shared<const std::vector<std::string>>(map.digests);
  std::lock_guard lock(mu_);
  if (layouts_.size() >= kMaxLayouts) layouts_.erase(layouts_.begin());
  layouts_[layout->content_key] = layout;
  return layout;
}

Result<std::shared_ptr<const cache::ImageLayout>> BlockMaps::LayoutFor(const wire::Image& image) {
  std::string key = image.ContentKey();
  if (key.empty()) return std::shared_ptr<const cache::ImageLayout>();
  {
    std::lock_guard lock(mu_);
    if (auto it = layouts_.find(key); it != layouts_.end()) return it->second;
    if (auto it = without_.find(key); it != without_.end() && it->second > clock_.Now()) {
      return std::shared_ptr<const cache::ImageLayout>();
    }
  }
  if (store_ != nullptr) {
    if (auto map = store_->LoadBlockMap(key); map && Fits(image, *map))
      return Remember(image, *map);
  }
  auto map = client_.GetBlockMap(image.id, CallOptions{clock_.Now() + retry_deadline_, true});
  if (!map.ok()) return map.status();
  if (!*map || !Fits(image, **map)) {
    if (*map)
      IMAGEFS_LOG_WARN("image {}: its block map does not match the image; not caching", image.id);
    std::lock_guard lock(mu_);
    without_[key] = clock_.Now() + kNoMapTtl;
    return std::shared_ptr<const cache::ImageLayout>();
  }
  (*map)->content_key = key;
  if (store_ != nullptr) {
    if (Status s = store_->SaveBlockMap(**map); !s.ok()) {
      IMAGEFS_LOG_WARN("image {}: cannot persist its block map: {}", image.id, s.ToString());
    }
  }
  return Remember(image, **map);
}

Result<std::shared_ptr<const cache::ImageLayout>> BlockMaps::LayoutForBackup(
    const std::string& source_id, uint64_t size) {
  if (size == 0) return std::shared_ptr<const cache::ImageLayout>();
  {
    // Keyed by the source id: a '/' keeps it apart from the content keys (hex).
    std::lock_guard lock(mu_);
    if (auto it = layouts_.find(source_id); it != layouts_.end()) return it->second;
    if (auto it = without_.find(source_id); it != without_.end() && it->second > clock_.Now()) {
      return std::shared_ptr<const cache::ImageLayout>();
    }
  }
  auto map = client_.GetBlockMap(source_id, CallOptions{clock_.Now() + retry_deadline_, true});
  if (!map.ok()) return map.status();
  if (!*map || (*map)->block_size == 0 || (*map)->algorithm != "sha256" ||
      (*map)->size != size || (*map)->digests.size() != (*map)->BlockCount()) {
    if (*map) IMAGEFS_LOG_WARN("{}: its block map does not match it; not caching", source_id);
    std::lock_guard lock(mu_);
    without_[source_id] = clock_.Now() + kNoMapTtl;
    return std::shared_ptr<const cache::ImageLayout>();
  }
  auto layout = std::make_shared<cache::ImageLayout>();
  layout->image_id = source_id;
  // The hash of the whole bytes when the service gives one; else one derived from the
  // digests, which determine the bytes as well.
  std::string key = (*map)->content_key;
  if (key.empty()) {
    std::string all;
    for (const auto& d : (*map)->digests) all += d;
    key = ToHex(Sha256Raw(all.data(), all.size()));
  }
  layout->content_key = std::move(key);
  layout->size = (*map)->size;
  layout->block_size = (*map)->block_size;
  layout->digests = std::make_shared<const std::vector<std::string>>(std::move((*map)->digests));
  std::lock_guard lock(mu_);
  if (layouts_.size() >= kMaxLayouts) layouts_.erase(layouts_.begin());
  layouts_[source_id] = layout;
  return std::shared_ptr<const cache::ImageLayout>(std::move(layout));
}

}  // namespace imagefs::fs
