// Handcrafted disk-image headers and an in-memory RangeReader for the format
// inspector tests. Each builder makes the smallest bytes the inspector accepts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/range_reader.h"

namespace imagefs::service::testing {

// Serves `bytes`, optionally as if followed by zeros up to `size`. Counts reads.
class StringReader : public RangeReader {
 public:
  explicit StringReader(std::string bytes) : StringReader(bytes, bytes.size()) {}
  StringReader(std::string bytes, uint64_t size) : bytes_(std::move(bytes)), size_(size) {}

  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override;

  uint64_t bytes_read() const { return bytes_read_; }
  int reads() const { return reads_; }

 private:
  std::string bytes_;
  uint64_t size_;
  uint64_t bytes_read_ = 0;
  int reads_ = 0;
};

void PutLe(std::string& s, size_t offset, uint64_t v, int bytes);
void PutBe(std::string& s, size_t offset, uint64_t v, int bytes);
void PutBytes(std::string& s, size_t offset, std::string_view bytes);

std::string Qcow2Header(uint32_t version, uint64_t size, uint64_t backing_offset = 0,
                        uint64_t incompatible_features = 0);

// A descriptor with createType `create_type` and one extent line.
std::string VmdkDescriptor(std::string_view create_type, std::string_view extent_line);
// A hosted sparse extent of `capacity_sectors` with `descriptor` embedded at sector 1.
std::string VmdkSparse(uint64_t capacity_sectors, std::string_view descriptor);
// A streamOptimized stream whose header says GD_AT_END, followed by a footer
// whose header gives `footer_capacity_sectors`.
std::string VmdkWithFooter(uint64_t footer_capacity_sectors);

// A 512-byte footer; disk_type 2 fixed, 3 dynamic, 4 differencing.
std::string VhdFooter(uint32_t disk_type, uint64_t current_size, std::string_view creator = "win ");

std::string VhdxImage(uint64_t virtual_size, bool has_parent = false);
inline constexpr size_t kVhdxRegionTableOffset = 192 * 1024;
inline constexpr size_t kVhdxMetadataOffset = 320 * 1024;

std::string VdiHeader(uint64_t disk_size, uint32_t image_type = 1);

// An ISO 9660 image: a primary volume descriptor of `blocks` 2048-byte blocks and
// a terminator, padded to `blocks` blocks (at least the descriptors).
std::string IsoImage(uint32_t blocks);

}  // namespace imagefs::service::testing
