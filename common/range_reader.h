// RangeReader: random read access to an immutable run of bytes (an image's data in a
// store, an upload before it commits, a backup). Implementations are safe for
// concurrent ReadAt calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace imagefs {

class RangeReader {
 public:
  virtual ~RangeReader() = default;

  virtual uint64_t size() const = 0;

  // Reads up to `n` bytes at `offset` into `buf`. Returns the count read, which is
  // short only at the end of the data (0 at or past the end).
  virtual Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) = 0;

  // A file descriptor whose bytes [0, size()) are this data, for sendfile(2) and
  // splice; -1 when the bytes are not in a local file. Owned by the reader.
  virtual int fd() const { return -1; }

  // Reads exactly [offset, offset+n) or fails (OutOfRange past the end).
  Result<std::string> ReadExactly(uint64_t offset, size_t n);
};

}  // namespace imagefs
