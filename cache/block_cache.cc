#include "cache/block_cache.h"

#include <algorithm>

namespace imagefs::cache {

uint32_t ImageLayout::BlockLength(uint64_t index) const {
  if (block_size == 0 || index >= BlockCount()) {
    return 0;
  }
  uint64_t start = index * block_size;
  return static_cast<uint32_t>(std::min<uint64_t>(block_size, size - start));
}

}  // namespace imagefs::cache
