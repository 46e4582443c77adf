// BackupStore: where backup bytes live, apart from the image store. The local
// directory store is the default; an object store can implement the same seam.
//
// A store holds containers; a container holds blocks, each stored once under its
// SHA-256 and shared by every backup that uses it, whichever imaged wrote it.
// Which backups use a block is recorded in reference files, one per (holder,
// backup), each listing its backup's digests; a holder is an imaged, named by its
// backup catalog's instance id, so several imageds (an export on one, an import
// on another) can share one store.
//
// The rules the crash safety rests on (each implementation must keep them):
//  - A block appears under its name only complete and durable, and is never
//    modified, so a block that exists holds exactly the bytes of its digest.
//  - Blocks are deleted only under the container's exclusive lock, and only when
//    the holder's own counts (InUseFn) and every other holder's reference files
//    say nothing uses them. A BackupWriter holds the shared lock from its first
//    Has() to its destruction, so a block it relies on cannot vanish meanwhile,
//    across processes too.
//
// Implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/range_reader.h"
#include "common/result.h"
#include "service/backup/backup.h"

namespace imagefs::service::backup {

// Adds the blocks of one backup to one container. Not thread-safe: one thread
// drives it. Destroying it without Commit() discards what it staged; blocks it
// already made visible stay until a Release() or Sweep() finds them unused.
class BackupWriter {
 public:
  virtual ~BackupWriter() = default;

  // True when the container holds block `digest` (raw SHA-256), or this writer
  // already took it. While the writer lives, a block reported present stays.
  virtual Result<bool> Has(std::string_view digest) = 0;

  // A buffer for the next Put(), recycled from earlier ones (capacity kept; its
  // contents are stale: overwrite them).
  virtual std::string TakeBuffer() = 0;

  // Stages a block. REQUIRES: `data` hashes to `digest` (the caller verified it).
  // Writing runs on the writer's own threads; Put() blocks only while its queue is
  // full. Returns the error of an earlier write once one failed.
  virtual Status Put(std::string digest, std::string data) = 0;

  // Stages block `digest` from bytes [offset, offset+length) of file `fd`, which
  // must stay open and unchanged until Commit() returns or the writer is destroyed.
  // The writer copies the bytes (in the kernel where it can) and checks what it
  // stored before the block can be made visible: against `crc32c` when given (the
  // CRC-32C recorded with `digest` when the bytes were first hashed: it catches damage
  // to a copy but for a 2^-32 chance, at a tenth of the SHA-256's CPU, though not a
  // deliberate forgery), else against `digest`. A mismatch is DataLoss, from this
  // call, a later one or Commit(). Blocks only while its queue is full.
  virtual Status PutFromFile(std::string digest, std::optional<uint32_t> crc32c, int fd,
                             uint64_t offset, size_t length) = 0;

  // Makes every staged block durable and visible under its digest, then writes
  // this holder's reference file for `backup_id` listing `manifest`, durably.
  // REQUIRES: every block of `manifest` was reported by Has(), Put() or
  // PutFromFile(). Call once.
  virtual Status Commit(std::string_view backup_id, const Manifest& manifest) = 0;

  // Blocks this writer made visible, and their bytes (after Commit, or partly
  // after a failed one).
  virtual const std::vector<std::string>& added() const = 0;
  virtual uint64_t added_bytes() const = 0;
};

// The holder's own view of whether a block is used by one of its backups.
using InUseFn = std::function<bool(std::string_view digest)>;
// Whether the holder still has the backup of a reference file it wrote.
using IsLiveFn = std::function<bool(std::string_view backup_id)>;

struct SweepReport {
  uint64_t blocks_removed = 0;
  uint64_t bytes_removed = 0;
  uint64_t references_removed = 0;
  uint64_t staged_removed = 0;
};

class BackupStore {
 public:
  virtual ~BackupStore() = default;

  // Creates the container if needed and takes its shared lock (blocking while a
  // Release or Sweep runs). InvalidArgument for a bad container name.
  virtual Result<std::unique_ptr<BackupWriter>> BeginBackup(std::string_view container) = 0;

  // The bytes of one block; NotFound when the container does not hold it.
  virtual Result<std::unique_ptr<RangeReader>> OpenBlock(std::string_view container,
                                                         std::string_view digest) = 0;

  // Under the exclusive lock: removes this holder's reference file for
  // `backup_id` (if any), then deletes each block of `candidates` that `in_use`
  // rejects and no other holder's reference file lists. Idempotent. Returns the
  // bytes freed.
  virtual Result<uint64_t> Release(std::string_view container, std::string_view backup_id,
                                   const std::vector<std::string>& candidates,
                                   const InUseFn& in_use) = 0;

  // Under the exclusive lock: removes staged leftovers, this holder's reference
  // files whose backup `is_live` rejects, then every block no reference file of
  // any holder lists.
  virtual Result<SweepReport> Sweep(std::string_view container, const IsLiveFn& is_live) = 0;

  // The containers that exist.
  virtual Result<std::vector<std::string>> Containers() = 0;
};

struct LocalBackupStoreOptions {
  // Directory holding the containers; created if missing. Required.
  std::string dir;
  // This imaged's holder name (BackupCatalog::instance_id()). Required.
  std::string instance_id;
  // Make blocks and reference files durable before Commit() returns. Default: true.
  bool fsync = true;
  // Blocks queued between Put() and the writer threads. Default: 8.
  size_t write_queue = 8;
  // Threads that write blocks (and verify those of PutFromFile). Default: 2.
  size_t write_threads = 2;
};

Result<std::unique_ptr<BackupStore>> NewLocalBackupStore(const LocalBackupStoreOptions& options);

}  // namespace imagefs::service::backup
