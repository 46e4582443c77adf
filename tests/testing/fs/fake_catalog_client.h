// FakeCatalogClient: an in-memory CatalogClient for unit tests of the mount's logic
// (no sockets). Images live in a map; data and block maps are computed from bytes
// given to AddImage. SetDown(true) makes every call fail with Unavailable, as an
// unreachable service does once retries end. Counts calls. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>

#include "common/thread_annotations.h"
#include "fs/catalog_client.h"

namespace imagefs::fstest {

class FakeCatalogClient final : public fs::CatalogClient {
 public:
  // Adds an active image with `data`; returns its id (random UUID when `id` is empty).
  std::string AddImage(std::optional<std::string> name, std::string data, std::string id = "");
  void PutImage(const wire::Image& image);
  void RemoveImage(const std::string& id);
  void Mutate(const std::string& id, const std::function<void(wire::Image&)>& change);
  void SetDown(bool down) { down_ = down; }
  void SetServeBlocks(bool on) { serve_blocks_ = on; }

  uint64_t list_calls() const { return list_calls_; }
  uint64_t get_calls() const { return get_calls_; }
  uint64_t range_calls() const { return range_calls_; }
  uint64_t range_bytes() const { return range_bytes_; }
  uint64_t patch_calls() const { return patch_calls_; }

  // fs::CatalogClient
  Result<fs::ImageListing> ListImages(const fs::ListFilter& filter,
                                      const fs::CallOptions& call) override;
  Result<wire::Image> GetImage(const std::string& id, const fs::CallOptions& call) override;
  Result<std::optional<wire::BlockMap>> GetBlockMap(const std::string& id,
                                                    const fs::CallOptions& call) override;
  Result<std::string> ReadRange(const std::string& id, uint64_t offset, uint64_t length,
                                const fs::CallOptions& call) override;
  Result<wire::Image> PatchImage(const std::string& id, const std::string& patch_json,
                                 const fs::CallOptions& call) override;

 private:
  struct Entry {
    wire::Image image;
    std::string data;
    std::optional<wire::BlockMap> blocks;
  };
  int64_t Tick() REQUIRES(mu_) { return ++clock_us_; }

  std::mutex mu_;
  std::map<std::string, Entry> images_ GUARDED_BY(mu_);
  int64_t clock_us_ GUARDED_BY(mu_) = 1'700'000'000'000'000;
  std::atomic<bool> down_{false};
  std::atomic<bool> serve_blocks_{true};
  std::atomic<uint64_t> list_calls_{0}, get_calls_{0}, range_calls_{0}, range_bytes_{0},
      patch_calls_{0};
};

}  // namespace imagefs::fstest
