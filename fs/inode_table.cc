#include "fs/inode_table.h"

namespace imagefs::fs {

uint64_t InodeTable::InodeFor(const std::string& id) {
  auto [it, inserted] = by_id_.try_emplace(id, next_);
  if (inserted) {
    by_ino_.emplace(next_, id);
    ++next_;
  }
  return it->second;
}

std::optional<std::string> InodeTable::IdOf(uint64_t ino) const {
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> InodeTable::Find(const std::string& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

}  // namespace imagefs::fs
