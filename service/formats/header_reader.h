// Bounded, bounds-checked access to the headers of untrusted image data, shared by
// the per-format inspectors. Internal to service/formats.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/range_reader.h"
#include "common/result.h"

namespace imagefs::service::formats {

// Largest single read an inspector may ask for (qemu's cap on a VMDK descriptor).
inline constexpr size_t kMaxHeaderRead = size_t{1} << 20;

// Reads header bytes of `data`. The first kPrefixSize bytes are read once and
// served from memory, since most formats keep their header there. Not thread-safe.
class HeaderReader {
 public:
  static constexpr size_t kPrefixSize = 64 * 1024;

  explicit HeaderReader(RangeReader& data) : data_(data) {}
  HeaderReader(const HeaderReader&) = delete;
  HeaderReader& operator=(const HeaderReader&) = delete;

  uint64_t size() const { return data_.size(); }

  // Sets *out to the bytes in [offset, offset + n), clipped to the end of the data
  // (so possibly fewer, or none past the end). n is capped at kMaxHeaderRead.
  // Errors only when the underlying read fails. (An out-parameter rather than a
  // Result<std::string>: GCC 12 warns falsely about moving short strings out of
  // the variant.)
  Status Read(uint64_t offset, size_t n, std::string* out);

 private:
  Status LoadPrefix();

  RangeReader& data_;
  bool prefix_loaded_ = false;
  std::string prefix_;
};

// Bounds-checked little/big-endian field access over a byte string. Reads outside
// the bytes yield 0, so a caller that forgot a Has() check reads zeros, not memory.
class ByteView {
 public:
  explicit ByteView(std::string_view bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size(); }
  bool Has(size_t offset, size_t n) const {
    return offset <= bytes_.size() && n <= bytes_.size() - offset;
  }
  bool StartsWith(std::string_view prefix) const { return bytes_.starts_with(prefix); }
  bool Equals(size_t offset, std::string_view expected) const {
    return Has(offset, expected.size()) && bytes_.substr(offset, expected.size()) == expected;
  }
  // The bytes [offset, offset + n), clipped to what exists.
  std::string_view Sub(size_t offset, size_t n) const {
    return offset > bytes_.size() ? std::string_view() : bytes_.substr(offset, n);
  }

  uint8_t U8(size_t offset) const { return static_cast<uint8_t>(Le(offset, 1)); }
  uint16_t Le16(size_t offset) const { return static_cast<uint16_t>(Le(offset, 2)); }
  uint32_t Le32(size_t offset) const { return static_cast<uint32_t>(Le(offset, 4)); }
  uint64_t Le64(size_t offset) const { return Le(offset, 8); }
  uint16_t Be16(size_t offset) const { return static_cast<uint16_t>(Be(offset, 2)); }
  uint32_t Be32(size_t offset) const { return static_cast<uint32_t>(Be(offset, 4)); }
  uint64_t Be64(size_t offset) const { return Be(offset, 8); }

 private:
  uint64_t Le(size_t offset, size_t n) const;
  uint64_t Be(size_t offset, size_t n) const;

  std::string_view bytes_;
};

// A Microsoft GUID as stored on disk: the first three fields little-endian, the
// last eight bytes as written. `text` is "8B7CA206-4790-4B9A-B8FE-575F050F886E".
using GuidBytes = std::array<char, 16>;
GuidBytes ParseGuid(std::string_view text);

}  // namespace imagefs::service::formats
