#include "cache/lru_index.h"

#include <cassert>

namespace imagefs::cache {

std::shared_ptr<Version> LruIndex::Find(const std::string& stem) const {
  auto it = versions_.find(stem);
  return it == versions_.end() ? nullptr : it->second;
}

std::shared_ptr<Version> LruIndex::FindOrAdd(const VersionName& name, const std::string& stem) {
  auto it = versions_.find(stem);
  if (it != versions_.end()) {
    return it->second;
  }
  auto v = std::make_shared<Version>(name);
  versions_.emplace(stem, v);
  return v;
}

void LruIndex::EraseVersion(const Version& v) {
  assert(v.blocks.empty() && v.file == nullptr);
  auto it = versions_.find(v.stem);
  if (it != versions_.end() && it->second.get() == &v) {
    versions_.erase(it);
  }
}

Block* LruIndex::FindBlock(Version& v, uint64_t index) {
  auto it = v.blocks.find(index);
  return it == v.blocks.end() ? nullptr : &it->second;
}

void LruIndex::AddPending(Version& v, uint64_t index, uint32_t length,
                          std::shared_ptr<Flight> flight) {
  Block& b = v.blocks[index];
  b = Block{};
  b.state = BlockState::kPending;
  b.length = length;
  b.generation = next_generation_++;
  b.flight = std::move(flight);
}

void LruIndex::AddFoundOnDisk(Version& v, uint64_t index, uint32_t length, uint64_t check,
                              bool verified) {
  Block& b = v.blocks[index];
  b = Block{};
  b.state = BlockState::kPresent;
  b.verified = verified;
  b.length = length;
  b.check = check;
  b.generation = next_generation_++;
  b.lru = lru_.insert(lru_.begin(), LruEntry{&v, index});
  used_bytes_ += length;
  ++changes_;
}

void LruIndex::CommitPending(Version& v, uint64_t index) {
  Block& b = v.blocks.at(index);
  assert(b.state == BlockState::kPending);
  b.state = BlockState::kPresent;
  b.verified = true;
  b.flight.reset();
  b.lru = lru_.insert(lru_.end(), LruEntry{&v, index});
  ++changes_;
}

void LruIndex::StartVerify(Version& v, uint64_t index, std::shared_ptr<Flight> flight) {
  Block& b = v.blocks.at(index);
  assert(b.state == BlockState::kPresent);
  lru_.erase(b.lru);
  b.state = BlockState::kVerifying;
  b.flight = std::move(flight);
}

void LruIndex::FinishVerify(Version& v, uint64_t index) {
  Block& b = v.blocks.at(index);
  assert(b.state == BlockState::kVerifying);
  b.state = BlockState::kPresent;
  b.verified = true;
  b.flight.reset();
  b.lru = lru_.insert(lru_.end(), LruEntry{&v, index});
}

void LruIndex::Forget(Version& v, uint64_t index) {
  auto it = v.blocks.find(index);
  if (it == v.blocks.end()) {
    return;
  }
  Block& b = it->second;
  assert(b.state != BlockState::kPresent);
  if (b.state == BlockState::kVerifying) {
    used_bytes_ -= b.length;
  }
  v.blocks.erase(it);
  ++changes_;
}

void LruIndex::Touch(Block& b) {
  assert(b.state == BlockState::kPresent);
  lru_.splice(lru_.end(), lru_, b.lru);
  ++changes_;
}

void LruIndex::DropPresent(Version& v) {
  for (auto it = v.blocks.begin(); it != v.blocks.end();) {
    if (it->second.state == BlockState::kPresent) {
      lru_.erase(it->second.lru);
      used_bytes_ -= it->second.length;
      it = v.blocks.erase(it);
    } else {
      ++it;
    }
  }
  ++changes_;
}

bool LruIndex::Reserve(uint64_t need, uint64_t capacity, uint64_t extra, bool can_punch,
                       const std::shared_ptr<Flight>& flight, EvictionPlan* plan) {
  if (need > capacity) {
    return false;
  }
  uint64_t freed = 0;
  auto it = lru_.begin();
  while (used_bytes_ + need > capacity || freed < extra) {
    while (it != lru_.end() && it->version->blocks.at(it->index).pins > 0) {
      ++it;
    }
    if (it == lru_.end()) {
      return false;
    }
    LruEntry victim = *it++;
    if (can_punch) {
      freed += EvictOne(victim, flight, plan);
    } else {
      freed += EvictVersion(*victim.version, flight, plan);
      it = lru_.begin();  // EvictVersion erased entries anywhere in the list
    }
  }
  used_bytes_ += need;
  return true;
}

uint64_t LruIndex::EvictOne(const LruEntry& e, const std::shared_ptr<Flight>& flight,
                            EvictionPlan* plan) {
  Version& v = *e.version;
  Block& b = v.blocks.at(e.index);
  lru_.erase(b.lru);
  b.state = BlockState::kEvicting;
  b.flight = flight;
  used_bytes_ -= b.length;
  punching_bytes_ += b.length;
  plan->punches.push_back(EvictionPlan::Punch{v.shared_from_this(), v.file, e.index,
                                              e.index * v.name.block_size, b.length});
  ++plan->evicted_blocks;
  ++changes_;
  return b.length;
}

uint64_t LruIndex::EvictVersion(Version& v, const std::shared_ptr<Flight>& flight,
                                EvictionPlan* plan) {
  for (auto it = v.blocks.begin(); it != v.blocks.end();) {
    Block& b = it->second;
    if (b.state == BlockState::kPresent && b.pins == 0) {
      lru_.erase(b.lru);
      v.dead_bytes += b.length;
      ++plan->evicted_blocks;
      it = v.blocks.erase(it);
    } else {
      ++it;
    }
  }
  ++changes_;
  uint64_t dead = v.dead_bytes;
  if (!v.blocks.empty()) {
    return 0;  // the bytes stay allocated until the pinned rest goes too
  }
  MaybeRemove(v, flight, plan);
  return dead;
}

void LruIndex::EvictCorrupt(Version& v, uint64_t index, const std::shared_ptr<Flight>& flight,
                            EvictionPlan* plan) {
  Block* b = FindBlock(v, index);
  if (b == nullptr || b->state != BlockState::kVerifying) {
    return;
  }
  b->state = BlockState::kEvicting;
  b->flight = flight;
  used_bytes_ -= b->length;
  punching_bytes_ += b->length;
  plan->punches.push_back(EvictionPlan::Punch{v.shared_from_this(), v.file, index,
                                              index * v.name.block_size, b->length});
  ++changes_;
}

void LruIndex::FinishPunch(const EvictionPlan::Punch& punch, bool punched) {
  punching_bytes_ -= punch.length;
  Version& v = *punch.version;
  auto it = v.blocks.find(punch.index);
  assert(it != v.blocks.end() && it->second.state == BlockState::kEvicting);
  v.blocks.erase(it);
  if (!punched) {
    v.dead_bytes += punch.length;
    used_bytes_ += punch.length;
  }
}

void LruIndex::MaybeRemove(Version& v, const std::shared_ptr<Flight>& flight, EvictionPlan* plan) {
  if (!v.blocks.empty() || v.removing != nullptr) {
    return;
  }
  used_bytes_ -= v.dead_bytes;
  v.dead_bytes = 0;
  v.removing = flight;
  CloseFile(v, &plan->to_close);
  plan->removals.push_back(v.shared_from_this());
}

std::shared_ptr<OpenFile> LruIndex::InstallFile(Version& v, std::shared_ptr<OpenFile> file,
                                                std::vector<std::shared_ptr<OpenFile>>* to_close) {
  if (v.file != nullptr) {
    to_close->push_back(std::move(file));
    TouchFile(v);
    return v.file;
  }
  if (v.file_id.has_value() && *v.file_id != file->id()) {
    DropPresent(v);  // replaced behind our back: its blocks are not in this file
  } else if (v.opened) {
    // Reopened: a closed file may have changed (or been replaced by one that reused
    // the inode number), so its blocks are checked again on first use. (The first
    // open in this process keeps what the cache found at its own open: the file is
    // the one it stamped then.)
    for (auto& [index, b] : v.blocks) {
      b.verified = false;
    }
  }
  v.file_id = file->id();
  v.file = std::move(file);
  v.opened = true;
  open_files_.push_front(&v);
  v.open_pos = open_files_.begin();
  while (open_files_.size() > max_open_files_) {
    CloseFile(*open_files_.back(), to_close);
  }
  return v.file;
}

void LruIndex::TouchFile(Version& v) {
  if (v.file != nullptr) {
    open_files_.splice(open_files_.begin(), open_files_, v.open_pos);
  }
}

void LruIndex::CloseFile(Version& v, std::vector<std::shared_ptr<OpenFile>>* to_close) {
  if (v.file == nullptr) {
    return;
  }
  open_files_.erase(v.open_pos);
  to_close->push_back(std::move(v.file));
  v.file = nullptr;
}

}  // namespace imagefs::cache
