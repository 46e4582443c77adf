// Fixtures for the backup tests: a real image catalog and store (RocksDB and a
// local directory under a TempDir), a backup catalog, store and service on top,
// and helpers to add active images and to look inside the backup store.
#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/digest.h"
#include "common/uuid.h"
#include "service/backup/backup_catalog.h"
#include "service/backup/backup_service.h"
#include "service/backup/backup_store.h"
#include "service/catalog/catalog.h"
#include "service/store/image_store.h"
#include "tests/testing/service/temp_dir.h"

namespace imagefs::service::backup::testing {

inline constexpr uint32_t kBlock = wire::kDefaultBlockSize;

// `n` bytes from a fixed seed: equal seeds, equal bytes.
inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

// `data` with block `index` (of kBlock bytes) replaced by other bytes.
inline std::string ChangeBlock(std::string data, size_t index, uint64_t seed) {
  std::string fresh = RandomBytes(kBlock, seed);
  data.replace(index * kBlock, std::min<size_t>(kBlock, data.size() - index * kBlock),
               fresh.substr(0, std::min<size_t>(kBlock, data.size() - index * kBlock)));
  return data;
}

// The block files of a container: raw digests of the names under blocks/.
inline std::set<std::string> StoredBlocks(const std::string& store_dir,
                                          const std::string& container) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(store_dir + "/" + container + "/blocks", ec)) {
    std::string raw;
    if (e.is_regular_file() && FromHex(e.path().filename().string(), &raw)) out.insert(raw);
  }
  return out;
}

// Sum of the sizes of a container's block files.
inline uint64_t StoredBytes(const std::string& store_dir, const std::string& container) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(store_dir + "/" + container + "/blocks", ec)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

inline std::set<std::string> Digests(const std::string& data) {
  std::set<std::string> out;
  for (size_t at = 0; at < data.size(); at += kBlock) {
    out.insert(Sha256Raw(data.data() + at, std::min<size_t>(kBlock, data.size() - at)));
  }
  return out;
}

// An imaged's worth of backup machinery over one data directory; the backup
// store directory may be shared between instances.
class Instance {
 public:
  Instance(const std::string& data_dir, const std::string& backup_dir) {
    std::filesystem::create_directories(data_dir);
    RocksCatalogOptions copts;
    copts.path = data_dir + "/catalog";
    copts.sync = false;
    images_ = Take(OpenRocksCatalog(copts));
    LocalDirStoreOptions sopts;
    sopts.dir = data_dir + "/images";
    sopts.fsync = false;
    image_store_ = Take(NewLocalDirStore(sopts));
    backups_ = Take(OpenBackupCatalog({data_dir + "/backups-db", false}));
    LocalBackupStoreOptions bopts;
    bopts.dir = backup_dir;
    bopts.instance_id = backups_->instance_id();
    bopts.fsync = false;
    store_ = Take(NewLocalBackupStore(bopts));
    service_ = std::make_unique<BackupService>(*backups_, *store_, *images_, *image_store_,
                                               SystemClock::Get(), BackupServiceOptions{});
    EXPECT_TRUE(service_->Recover().ok());
    service_->WaitIdle();
  }
  ~Instance() { service_.reset(); }

  // An active raw image of project "p" holding `data`. Without `crcs` its block map
  // has no CRC-32Cs, as maps recorded before imaged kept them.
  std::string AddImage(const std::string& data, const std::string& name = "img", bool crcs = true) {
    wire::Image img;
    img.id = NewUuid();
    img.name = name;
    img.owner = "p";
    img.disk_format = "raw";
    img.container_format = "bare";
    img.status = wire::ImageStatus::kSaving;
    EXPECT_TRUE(images_->CreateImage(img).ok());
    std::unique_ptr<UploadWriter> w = Take(image_store_->BeginUpload(img.id));
    EXPECT_TRUE(w->Append(data.data(), data.size()).ok());
    UploadResult up = Take(w->Finish());
    EXPECT_TRUE(w->Commit().ok());
    wire::BlockMap map{img.id,   up.sha512_hex,    up.size,        up.block_size,
                       "sha256", up.block_digests, up.block_crc32c};
    if (!crcs) map.crc32c.clear();
    Result<wire::Image> active = images_->UpdateImageWithBlockMap(
        img.id,
        [&](wire::Image& i) {
          i.status = wire::ImageStatus::kActive;
          i.size = static_cast<int64_t>(up.size);
          i.checksum = up.md5_hex;
          i.os_hash_algo = "sha512";
          i.os_hash_value = up.sha512_hex;
          i.block_size = up.block_size;
          return Status::Ok();
        },
        map);
    EXPECT_TRUE(active.ok()) << active.status();
    return img.id;
  }

  // Starts a backup of `image_id` and waits for its job; returns the record.
  Backup BackUp(const std::string& image_id, bool incremental = false,
                const std::string& container = "") {
    CreateBackupRequest r;
    r.image_id = image_id;
    r.project_id = "p";
    r.user_id = "u";
    r.incremental = incremental;
    if (!container.empty()) r.container = container;
    Backup started = Take(service_->Create(r));
    service_->WaitIdle();
    return Take(backups_->Get(started.id));
  }

  // The bytes of an image in the image store.
  std::string ImageBytes(const std::string& image_id) {
    std::unique_ptr<RangeReader> r = Take(image_store_->Open(image_id));
    return Take(r->ReadExactly(0, r->size()));
  }

  Catalog& images() { return *images_; }
  ImageStore& image_store() { return *image_store_; }
  BackupCatalog& backups() { return *backups_; }
  BackupStore& store() { return *store_; }
  BackupService& service() { return *service_; }

 private:
  template <typename T>
  static T Take(Result<T> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) std::abort();  // the fixture cannot go on
    return std::move(r).value();
  }

  std::unique_ptr<Catalog> images_;
  std::unique_ptr<ImageStore> image_store_;
  std::unique_ptr<BackupCatalog> backups_;
  std::unique_ptr<BackupStore> store_;
  std::unique_ptr<BackupService> service_;
};

}  // namespace imagefs::service::backup::testing
