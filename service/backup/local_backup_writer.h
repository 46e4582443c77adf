// The BackupWriter of LocalBackupStore (see local_backup_store.h for the layout).
// Put() hands blocks to a writer thread through a bounded queue, so the caller
// reads and hashes the next blocks while the previous ones are written. Staged
// files are not synced one by one: Commit() syncs the filesystem once, renames
// them into blocks/, writes the reference file and syncs once more.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "service/backup/local_backup_store.h"

namespace imagefs::service::backup {

class LocalBackupWriter final : public BackupWriter {
 public:
  // Holds `lock` (shared) until destroyed.
  LocalBackupWriter(const LocalBackupStoreOptions& options, ContainerDirs dirs, ContainerLock lock);
  // Stops the writer thread and deletes staged files not yet made visible.
  ~LocalBackupWriter() override;
  LocalBackupWriter(const LocalBackupWriter&) = delete;
  LocalBackupWriter& operator=(const LocalBackupWriter&) = delete;

  // BackupWriter
  Result<bool> Has(std::string_view digest) override;
  std::string TakeBuffer() override;
  Status Put(std::string digest, std::string data) override;
  Status Commit(std::string_view backup_id, const Manifest& manifest) override;
  const std::vector<std::string>& added() const override { return added_; }
  uint64_t added_bytes() const override { return added_bytes_; }

 private:
  struct Block {
    std::string digest;
    std::string data;
  };
  struct Staged {
    std::string digest;
    std::string file;  // name in staging/
    uint64_t size = 0;
  };

  void Run(std::stop_token stop);
  // Writes one block into staging/ (writer thread).
  Result<Staged> Stage(const Block& block);
  // Closes the queue and waits until the writer thread has written everything.
  Status Drain();
  // Renames the staged blocks into blocks/ (caller thread, after Drain).
  Status Publish();

  const LocalBackupStoreOptions options_;
  const ContainerDirs dirs_;
  const ContainerLock lock_;
  const std::string session_;  // prefix of this writer's staged file names

  // Caller-thread state.
  std::unordered_set<std::string> taken_;
  std::unordered_set<std::string> made_dirs_;  // blocks/<xx> known to exist
  std::vector<std::string> added_;
  uint64_t added_bytes_ = 0;
  size_t published_ = 0;  // staged_[0, published_) are in blocks/
  bool committed_ = false;

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Block> queue_ GUARDED_BY(mu_);
  std::vector<std::string> free_buffers_ GUARDED_BY(mu_);
  std::vector<Staged> staged_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  bool busy_ GUARDED_BY(mu_) = false;  // the writer thread holds a block
  Status error_ GUARDED_BY(mu_);

  // Last member: joined before anything it uses is destroyed.
  std::jthread thread_;
};

}  // namespace imagefs::service::backup
