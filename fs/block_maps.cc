#include "fs/block_maps.h"

#include "common/digest.h"
#include "common/log.h"

namespace imagefs::fs {
namespace {

constexpr size_t kMaxLayouts = 1024;
// How long "this image has no digests" is believed before asking again.
constexpr std::chrono::seconds kNoMapTtl{60};

// A block map that can describe `size` bytes of data.
bool Fits(const wire::BlockMap& map, int64_t size) {
  return map.block_size > 0 && map.algorithm == "sha256" &&
         map.size == static_cast<uint64_t>(size) && map.digests.size() == map.BlockCount() &&
         (map.crc32c.empty() || map.crc32c.size() == map.BlockCount());
}

}  // namespace

BlockMaps::BlockMaps(CatalogClient& client, StateStore* store, Clock& clock,
                     std::chrono::milliseconds retry_deadline, bool use_crc)
    : client_(client),
      store_(store),
      clock_(clock),
      retry_deadline_(retry_deadline),
      use_crc_(use_crc) {}

std::optional<std::shared_ptr<const cache::ImageLayout>> BlockMaps::Known(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = layouts_.find(key); it != layouts_.end()) return it->second;
  if (auto it = without_.find(key); it != without_.end() && it->second > clock_.Now()) {
    return std::shared_ptr<const cache::ImageLayout>();
  }
  return std::nullopt;
}

std::shared_ptr<const cache::ImageLayout> BlockMaps::NoMap(const std::string& key) {
  std::lock_guard lock(mu_);
  without_[key] = clock_.Now() + kNoMapTtl;
  return std::shared_ptr<const cache::ImageLayout>();
}

std::shared_ptr<const cache::ImageLayout> BlockMaps::Remember(const std::string& key,
                                                              std::string image_id,
                                                              std::string content_key,
                                                              wire::BlockMap map) {
  auto layout = std::make_shared<cache::ImageLayout>();
  layout->image_id = std::move(image_id);
  layout->content_key = std::move(content_key);
  layout->size = map.size;
  layout->block_size = map.block_size;
  layout->digests = std::make_shared<const std::vector<std::string>>(std::move(map.digests));
  if (use_crc_ && !map.crc32c.empty()) {
    layout->crc32c = std::make_shared<const std::vector<uint32_t>>(std::move(map.crc32c));
  }
  std::lock_guard lock(mu_);
  if (layouts_.size() >= kMaxLayouts) layouts_.erase(layouts_.begin());
  layouts_[key] = layout;
  return layout;
}

Result<std::shared_ptr<const cache::ImageLayout>> BlockMaps::LayoutFor(const wire::Image& image) {
  std::string key = image.ContentKey();
  if (key.empty()) return std::shared_ptr<const cache::ImageLayout>();
  if (auto known = Known(key)) return *known;
  auto fits = [&](const wire::BlockMap& map) {
    return Fits(map, image.size.value_or(-1)) && (map.content_key.empty() || map.content_key == key);
  };
  if (store_ != nullptr) {
    if (auto map = store_->LoadBlockMap(key); map && fits(*map)) {
      return Remember(key, image.id, key, std::move(*map));
    }
  }
  auto map = client_.GetBlockMap(image.id, CallOptions{clock_.Now() + retry_deadline_, true});
  if (!map.ok()) return map.status();
  if (!*map || !fits(**map)) {
    if (*map)
      IMAGEFS_LOG_WARN("image {}: its block map does not match the image; not caching", image.id);
    return NoMap(key);
  }
  (*map)->content_key = key;
  if (store_ != nullptr) {
    if (Status s = store_->SaveBlockMap(**map); !s.ok()) {
      IMAGEFS_LOG_WARN("image {}: cannot persist its block map: {}", image.id, s.ToString());
    }
  }
  return Remember(key, image.id, key, std::move(**map));
}

Result<std::shared_ptr<const cache::ImageLayout>> BlockMaps::LayoutForBackup(
    const std::string& source_id, uint64_t size) {
  if (size == 0) return std::shared_ptr<const cache::ImageLayout>();
  // Keyed by the source id: a '/' keeps it apart from the content keys (hex).
  if (auto known = Known(source_id)) return *known;
  auto map = client_.GetBlockMap(source_id, CallOptions{clock_.Now() + retry_deadline_, true});
  if (!map.ok()) return map.status();
  if (!*map || !Fits(**map, static_cast<int64_t>(size))) {
    if (*map) IMAGEFS_LOG_WARN("{}: its block map does not match it; not caching", source_id);
    return NoMap(source_id);
  }
  // The hash of the whole bytes when the service gives one; else one derived from the
  // digests, which determine the bytes as well.
  std::string content_key = (*map)->content_key;
  if (content_key.empty()) {
    std::string all;
    for (const auto& d : (*map)->digests) all += d;
    content_key = ToHex(Sha256Raw(all.data(), all.size()));
  }
  return Remember(source_id, source_id, std::move(content_key), std::move(**map));
}

}  // namespace imagefs::fs
