#include "tests/testing/fs/fake_catalog_client.h"

#include "common/digest.h"
#include "common/uuid.h"
#include "common/wire/image_codec.h"

namespace imagefs::fstest {
namespace {

Status Down() { return Unavailable("fake service is down"); }

}  // namespace

std::string FakeCatalogClient::AddImage(std::optional<std::string> name, std::string data,
                                        std::string id) {
  Entry e;
  e.image.id = id.empty() ? NewUuid() : id;
  e.image.name = std::move(name);
  e.image.status = wire::ImageStatus::kActive;
  e.image.size = static_cast<int64_t>(data.size());
  e.image.os_hash_algo = "sha512";
  e.image.os_hash_value = DigestHex(DigestAlgorithm::kSha512, data);
  e.image.checksum = DigestHex(DigestAlgorithm::kMd5, data);
  e.image.disk_format = "raw";
  e.image.container_format = "bare";
  wire::BlockMap map;
  map.image_id = e.image.id;
  map.content_key = e.image.ContentKey();
  map.size = data.size();
  map.block_size = wire::kDefaultBlockSize;
  for (size_t off = 0; off < data.size(); off += map.block_size) {
    std::string_view b = std::string_view(data).substr(off, map.block_size);
    map.digests.push_back(Sha256Raw(b.data(), b.size()));
  }
  e.blocks = std::move(map);
  e.data = std::move(data);
  std::lock_guard lock(mu_);
  e.image.created_at = e.image.updated_at = Tick();
  std::string out = e.image.id;
  images_[out] = std::move(e);
  return out;
}

void FakeCatalogClient::PutImage(const wire::Image& image) {
  std::lock_guard lock(mu_);
  Entry& e = images_[image.id];
  e.image = image;
  if (e.image.updated_at == 0) e.image.updated_at = Tick();
}

void FakeCatalogClient::RemoveImage(const std::string& id) {
  std::lock_guard lock(mu_);
  images_.erase(id);
}

void FakeCatalogClient::Mutate(const std::string& id,
                               const std::function<void(wire::Image&)>& change) {
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return;
  change(it->second.image);
  it->second.image.updated_at = Tick();
}

Result<fs::ImageListing> FakeCatalogClient::ListImages(const fs::ListFilter& filter,
                                                       const fs::CallOptions&) {
  ++list_calls_;
  if (down_) return Down();
  std::lock_guard lock(mu_);
  fs::ImageListing out;
  for (const auto& [id, e] : images_) {
    if (e.image.os_hidden) continue;
    // The API compares whole seconds.
    if (filter.updated_after &&
        e.image.updated_at / 1'000'000 <= *filter.updated_after / 1'000'000) {
      continue;
    }
    out.images.push_back(e.image);
  }
  return out;
}

Result<wire::Image> FakeCatalogClient::GetImage(const std::string& id, const fs::CallOptions&) {
  ++get_calls_;
  if (down_) return Down();
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return NotFound("no image " + id);
  return it->second.image;
}

Result<std::optional<wire::BlockMap>> FakeCatalogClient::GetBlockMap(const std::string& id,
                                                                     const fs::CallOptions&) {
  if (down_) return Down();
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end() || !serve_blocks_) return std::optional<wire::BlockMap>();
  return it->second.blocks;
}

Result<std::string> FakeCatalogClient::ReadRange(const std::string& id, uint64_t offset,
                                                 uint64_t length, const fs::CallOptions&) {
  ++range_calls_;
  if (down_) return Down();
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return NotFound("no image " + id);
  if (offset + length > it->second.data.size()) return OutOfRange("range past the end");
  range_bytes_ += length;
  return it->second.data.substr(offset, length);
}

Result<wire::Image> FakeCatalogClient::PatchImage(const std::string& id,
                                                  const std::string& patch_json,
                                                  const fs::CallOptions&) {
  ++patch_calls_;
  if (down_) return Down();
  // Enough JSON-patch for unit tests: replace /name with a string.
  auto v = wire::ParseJson(patch_json);
  if (!v.ok() || !v->is_array()) return InvalidArgument("bad patch");
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return NotFound("no image " + id);
  for (const auto& op : v->get_array()) {
    const auto& o = op.get_object();
    std::string path(o.at("path").get_string());
    if (path == "/name" && o.at("value").is_string()) {
      it->second.image.name = std::string(o.at("value").get_string());
    } else if (path.rfind("/", 0) == 0 && !wire::IsBaseProperty(path.substr(1))) {
      if (o.at("op").get_string() == "remove") {
        if (it->second.image.properties.erase(path.substr(1)) == 0) {
          return AlreadyExists("no such property");
        }
      } else {
        it->second.image.properties[path.substr(1)] = std::string(o.at("value").get_string());
      }
    } else {
      return PermissionDenied("unsupported in the fake");
    }
  }
  it->second.image.updated_at = Tick();
  return it->second.image;
}

}  // namespace imagefs::fstest
