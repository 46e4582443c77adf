#include "common/range_reader.h"

namespace imagefs {

Result<std::string> RangeReader::ReadExactly(uint64_t offset, size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, ReadAt(offset + done, out.data() + done, n - done));
    if (got == 0) return OutOfRange("read past the end of the data");
    done += got;
  }
  return out;
}

}  // namespace imagefs
