// The BackupWriter of LocalBackupStore (see local_backup_store.h for the layout).
// Put() and PutFromFile() hand blocks to a small pool of writer threads through a
// bounded queue, so the caller goes on while the previous blocks are written. A
// PutFromFile() block is copied with copy_file_range(2) (no user-space copy of the
// data) and verified by reading the staged file back, so the check covers exactly
// the bytes that will be published: by the block's CRC-32C when the caller knows it
// (recorded at upload), else by its SHA-256; with two threads, copying and checking
// of different blocks overlap. Staged files are not synced one by one: each starts
// its writeback as soon as it is written (sync_file_range), and Commit() syncs the
// filesystem once, renames them into blocks/, writes the reference file and syncs
// once more.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
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
  // Stops the writer threads and deletes staged files not yet made visible.
  ~LocalBackupWriter() override;
  LocalBackupWriter(const LocalBackupWriter&) = delete;
  LocalBackupWriter& operator=(const LocalBackupWriter&) = delete;

  // BackupWriter
  Result<bool> Has(std::string_view digest) override;
  std::string TakeBuffer() override;
  Status Put(std::string digest, std::string data) override;
  Status PutFromFile(std::string digest, std::optional<uint32_t> crc32c, int fd, uint64_t offset,
                     size_t length) override;
  Status Commit(std::string_view backup_id, const Manifest& manifest) override;
  const std::vector<std::string>& added() const override { return added_; }
  uint64_t added_bytes() const override { return added_bytes_; }

 private:
  struct Block {
    std::string digest;
    std::string data;  // the bytes, unless `fd` >= 0
    int fd = -1;       // PutFromFile: bytes [offset, offset+length) of fd
    std::optional<uint32_t> crc32c;  // PutFromFile: checks the copy instead of `digest`
    uint64_t offset = 0;
    size_t length = 0;
  };
  struct Staged {
    std::string digest;
    std::string file;  // name in staging/
    uint64_t size = 0;
  };

  // Queues `block` (caller thread).
  Status Enqueue(Block block);
  void Run(std::stop_token stop);
  // Writes one block into staging/ (writer thread); `scratch` is the thread's
  // buffer for verifying and for copies copy_file_range cannot do.
  Result<Staged> Stage(const Block& block, std::string& scratch);
  // Copies block.fd's range into `out` and checks it against block.crc32c when known,
  // else block.digest.
  Status CopyAndVerify(const Block& block, int out, std::string& scratch);
  // Closes the queue and waits until the writer threads have written everything.
  Status Drain();
  // Renames the staged blocks into blocks/ (caller thread, after Drain).
  Status Publish();

  const LocalBackupStoreOptions options_;
  const ContainerDirs dirs_;
  const ContainerLock lock_;
  const std::string session_;  // prefix of this writer's staged file names
  // spool/<session_>, where staged files are created (see spool/ in
  // local_backup_store.h); invalid when it could not be made: then staging/.
  UniqueFd spool_;

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
  Status error_ GUARDED_BY(mu_);

  // Last member: joined before anything they use is destroyed.
  std::vector<std::jthread> threads_;
};

}  // namespace imagefs::service::backup
