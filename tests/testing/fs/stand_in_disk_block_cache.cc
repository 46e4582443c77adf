// TODO(#3): stand-in for cache/ while the real DiskBlockCache is being written: the
// imagefs binary links this (see fs/CMakeLists.txt) only when imagefs_cache does not
// exist. Delete once cache/ lands.
#include "cache/block_cache.h"
#include "tests/testing/fs/fake_block_cache.h"

namespace imagefs::cache {

uint32_t ImageLayout::BlockLength(uint64_t index) const {
  if (index >= BlockCount()) return 0;
  uint64_t start = index * block_size;
  return static_cast<uint32_t>(std::min<uint64_t>(block_size, size - start));
}

Result<std::unique_ptr<BlockCache>> OpenDiskBlockCache(const DiskBlockCacheOptions& options,
                                                       Clock& /*clock*/) {
  return fstest::NewFakeBlockCache({options.dir, options.capacity_bytes});
}

}  // namespace imagefs::cache
