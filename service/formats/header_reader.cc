#include "service/formats/header_reader.h"

#include <algorithm>
#include <cassert>

#include "common/hex.h"

namespace imagefs::service::formats {

Status HeaderReader::LoadPrefix() {
  size_t want = static_cast<size_t>(std::min<uint64_t>(data_.size(), kPrefixSize));
  prefix_.assign(want, '\0');
  size_t done = 0;
  while (done < want) {
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, data_.ReadAt(done, prefix_.data() + done, want - done));
    if (got == 0) {
      break;  // the data ended early; serve what there is
    }
    done += got;
  }
  prefix_.resize(done);
  prefix_loaded_ = true;
  return Status::Ok();
}

Status HeaderReader::Read(uint64_t offset, size_t n, std::string* out) {
  out->clear();
  n = std::min(n, kMaxHeaderRead);
  uint64_t size = data_.size();
  if (offset >= size) {
    return Status::Ok();
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, size - offset));
  if (offset + n <= kPrefixSize) {
    if (!prefix_loaded_) {
      IMAGEFS_RETURN_IF_ERROR(LoadPrefix());
    }
    out->assign(ByteView(prefix_).Sub(static_cast<size_t>(offset), n));
    return Status::Ok();
  }
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    IMAGEFS_ASSIGN_OR_RETURN(size_t got, data_.ReadAt(offset + done, out->data() + done, n - done));
    if (got == 0) {
      break;
    }
    done += got;
  }
  out->resize(done);
  return Status::Ok();
}

uint64_t ByteView::Le(size_t offset, size_t n) const {
  if (!Has(offset, n)) {
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= uint64_t{static_cast<uint8_t>(bytes_[offset + i])} << (8 * i);
  }
  return v;
}

uint64_t ByteView::Be(size_t offset, size_t n) const {
  if (!Has(offset, n)) {
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v = (v << 8) | static_cast<uint8_t>(bytes_[offset + i]);
  }
  return v;
}

GuidBytes ParseGuid(std::string_view text) {
  // The 16 bytes as the text spells them, dashes skipped.
  std::array<uint8_t, 16> spelled{};
  size_t k = 0;
  for (size_t i = 0; i + 1 < text.size() && k < spelled.size(); ++i) {
    if (text[i] == '-') {
      continue;
    }
    spelled[k++] = static_cast<uint8_t>(HexDigitValue(text[i]) * 16 + HexDigitValue(text[i + 1]));
    ++i;
  }
  assert(k == 16 && "malformed GUID literal");
  // Data1 (4 bytes), Data2 and Data3 (2 bytes each) are stored little-endian.
  static constexpr std::array<size_t, 16> kOrder = {3, 2, 1,  0,  5,  4,  7,  6,
                                                    8, 9, 10, 11, 12, 13, 14, 15};
  GuidBytes out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(spelled[kOrder[i]]);
  }
  return out;
}

}  // namespace imagefs::service::formats
