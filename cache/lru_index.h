// LruIndex: the block cache's in-memory index. Which blocks of which image versions
// are on disk (or being fetched, verified or evicted), their least-recently-used
// order, the bytes they use, and the table of open data files. Pure bookkeeping: it
// does no I/O; it hands back the I/O to do (EvictionPlan, files to close).
//
// Not thread-safe: DiskBlockCache guards it with its mutex.
//
// Memory is O(blocks in the index + versions touched): one hash-map node and one list
// node per block, nothing per block of an image that is not cached.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cache/block_file.h"
#include "cache/single_flight.h"
#include "cache/version_name.h"

namespace imagefs::cache {

struct Version;

enum class BlockState : uint8_t {
  kPending,    // claimed by a fetch run; not on disk yet
  kVerifying,  // on disk, being checked against its digest before first use
  kPresent,    // on disk, in the LRU list
  kEvicting,   // chosen for eviction; its hole is being punched
};

struct LruEntry {
  Version* version;
  uint64_t index;
};
using LruList = std::list<LruEntry>;

struct Block {
  BlockState state = BlockState::kPending;
  // kPresent: bytes checked against the digest since this process opened the file.
  bool verified = false;
  uint32_t length = 0;
  // 2^32 | CRC-32C of the block's verified bytes, or 0 when unknown (index_file.h): a
  // block found on disk with a check is re-verified by CRC, else by its digest.
  uint64_t check = 0;
  uint32_t pins = 0;               // outstanding BlockRefs; a pinned block is never evicted
  uint64_t generation = 0;         // unique per Block, so a stale pin never unpins a newer one
  std::shared_ptr<Flight> flight;  // the operation in progress unless kPresent
  LruList::iterator lru;           // valid iff kPresent
};

struct Version : std::enable_shared_from_this<Version> {
  explicit Version(VersionName n) : name(std::move(n)), stem(name.Stem()) {}

  const VersionName name;
  const std::string stem;
  std::unordered_map<uint64_t, Block> blocks;
  // Bytes of evicted blocks still allocated in the file (a punch failed or is not
  // supported); freed when the file is removed. Counted in used bytes.
  uint64_t dead_bytes = 0;
  std::shared_ptr<OpenFile> file;                        // null while closed
  std::optional<std::pair<uint64_t, uint64_t>> file_id;  // inode the blocks live in
  bool opened = false;  // its file was open at some time in this process
  std::list<Version*>::iterator open_pos;                // valid iff file != nullptr
  std::shared_ptr<Flight> removing;  // non-null while the data file is being removed
};

// I/O that eviction decided on, to run without the lock, then Finish*.
struct EvictionPlan {
  struct Punch {
    std::shared_ptr<Version> version;
    std::shared_ptr<OpenFile> file;  // null if the data file is closed now
    uint64_t index = 0;
    uint64_t offset = 0;
    uint32_t length = 0;
  };
  std::vector<Punch> punches;
  std::vector<std::shared_ptr<Version>> removals;   // data files to unlink
  std::vector<std::shared_ptr<OpenFile>> to_close;  // let go of outside the lock
  uint64_t evicted_blocks = 0;
};

class LruIndex {
 public:
  explicit LruIndex(size_t max_open_files) : max_open_files_(max_open_files) {}
  LruIndex(const LruIndex&) = delete;
  LruIndex& operator=(const LruIndex&) = delete;

  // --- Versions.
  std::shared_ptr<Version> Find(const std::string& stem) const;
  // REQUIRES: stem == name.Stem() (passed in so a hit builds it once, unlocked).
  std::shared_ptr<Version> FindOrAdd(const VersionName& name, const std::string& stem);
  // Forgets `v` once its removal is done. REQUIRES: no blocks, no open file.
  void EraseVersion(const Version& v);
  size_t version_count() const { return versions_.size(); }

  // --- Blocks. Every state change goes through these, so accounting stays exact:
  // used bytes = present and verifying blocks + reservations + dead bytes.
  Block* FindBlock(Version& v, uint64_t index);
  // Adds a kPending block owned by `flight`.
  void AddPending(Version& v, uint64_t index, uint32_t length, std::shared_ptr<Flight> flight);
  // Adds a kPresent block found on disk as the least recently used; unverified unless
  // `verified` (its file is unchanged since a clean close had verified it).
  void AddFoundOnDisk(Version& v, uint64_t index, uint32_t length, uint64_t check = 0,
                      bool verified = false);
  // kPending -> kPresent (most recently used, verified). Its bytes were reserved.
  void CommitPending(Version& v, uint64_t index);
  // kPresent -> kVerifying, owned by `flight`; out of the LRU list meanwhile.
  void StartVerify(Version& v, uint64_t index, std::shared_ptr<Flight> flight);
  // kVerifying -> kPresent, verified, most recently used.
  void FinishVerify(Version& v, uint64_t index);
  // Any state but kPresent -> gone; a kVerifying block's bytes are subtracted.
  void Forget(Version& v, uint64_t index);
  // Makes a kPresent block the most recently used.
  void Touch(Block& b);
  // Forgets every kPresent block of `v` (its data file was replaced): they are not in
  // the file we now have. Pinned ones stay readable through their own fd.
  void DropPresent(Version& v);

  // --- Space. Reserves `need` bytes so that used bytes stay within `capacity`, and
  // evicts at least `extra` bytes more, least-recently-used first, skipping pinned
  // blocks. With `can_punch`, victims become kEvicting (owned by `flight`) and their
  // punches go to `plan`; without, every unpinned block of a victim's version is
  // forgotten and the version's file is removed once it has no blocks left. Returns
  // false, reserving nothing, when there is not enough to evict; the victims chosen
  // so far stay evicted (and in `plan`).
  bool Reserve(uint64_t need, uint64_t capacity, uint64_t extra, bool can_punch,
               const std::shared_ptr<Flight>& flight, EvictionPlan* plan);
  void Release(uint64_t bytes) { used_bytes_ -= bytes; }
  // kVerifying -> kEvicting (owned by `flight`): its bytes failed verification; the
  // punch goes to `plan`. No-op if the block is gone.
  void EvictCorrupt(Version& v, uint64_t index, const std::shared_ptr<Flight>& flight,
                    EvictionPlan* plan);
  // After a punch: forgets the block; if the punch failed, counts its bytes as dead
  // (still used) instead of freed.
  void FinishPunch(const EvictionPlan::Punch& punch, bool punched);
  // Starts removing `v`'s file if it has no blocks and is not being removed already:
  // closes it, marks it removing (owned by `flight`) and adds it to plan->removals.
  // Its dead bytes stop counting now; the caller unlinks before writing anything.
  void MaybeRemove(Version& v, const std::shared_ptr<Flight>& flight, EvictionPlan* plan);
  uint64_t used_bytes() const { return used_bytes_; }
  // Bytes of evicted blocks whose punches have not finished: no longer used, but
  // still allocated on disk until FinishPunch.
  uint64_t punching_bytes() const { return punching_bytes_; }

  // --- Open data files, at most max_open_files (the least recently used are closed).
  // Installs `file` as v's open file unless it has one; files to close (outside the
  // lock) go to `to_close`. Returns v's open file. On a reopen, v's blocks lose their
  // verified bit (or are dropped if the inode changed).
  std::shared_ptr<OpenFile> InstallFile(Version& v, std::shared_ptr<OpenFile> file,
                                        std::vector<std::shared_ptr<OpenFile>>* to_close);
  void TouchFile(Version& v);
  void CloseFile(Version& v, std::vector<std::shared_ptr<OpenFile>>* to_close);
  size_t open_files() const { return open_files_.size(); }

  // --- Persistence.
  // Present blocks, least recently used first.
  const LruList& lru() const { return lru_; }
  // Bumped by every change worth persisting.
  uint64_t changes() const { return changes_; }

 private:
  void StartRemoval(Version& v, const std::shared_ptr<Flight>& flight, EvictionPlan* plan);
  uint64_t EvictOne(const LruEntry& e, const std::shared_ptr<Flight>& flight, EvictionPlan* plan);
  uint64_t EvictVersion(Version& v, const std::shared_ptr<Flight>& flight, EvictionPlan* plan);

  const size_t max_open_files_;
  std::unordered_map<std::string, std::shared_ptr<Version>> versions_;
  LruList lru_;                     // kPresent blocks, least recently used first
  std::list<Version*> open_files_;  // versions with an open file, most recent first
  uint64_t used_bytes_ = 0;
  uint64_t punching_bytes_ = 0;
  uint64_t next_generation_ = 1;
  uint64_t changes_ = 0;
};

}  // namespace imagefs::cache
