#include "cache/version_name.h"

#include <algorithm>
#include <charconv>

#include "common/digest.h"

namespace imagefs::cache {
namespace {

constexpr size_t kKeyHexDigits = 32;
constexpr size_t kMaxPlainImageId = 64;
constexpr size_t kSha256Bytes = 32;

bool IsPlainIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool IsHexChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsPlainId(std::string_view id) {
  if (id.empty() || id.size() > kMaxPlainImageId) {
    return false;
  }
  for (char c : id) {
    if (!IsPlainIdChar(c)) {
      return false;
    }
  }
  return true;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!IsHexChar(c)) {
      return false;
    }
  }
  return true;
}

std::string HashPrefix(std::string_view s) {
  return ToHex(Sha256Raw(s.data(), s.size())).substr(0, kKeyHexDigits);
}

std::string KeyPart(std::string_view content_key) {
  if (content_key.size() >= kKeyHexDigits) {
    std::string key(content_key.substr(0, kKeyHexDigits));
    for (char& c : key) {
      c = ToLowerAscii(c);
    }
    if (IsHex(key)) {
      return key;
    }
  }
  return HashPrefix(content_key);
}

template <typename T>
std::optional<T> ParseDecimal(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) {
    return std::nullopt;  // one spelling per number
  }
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

// Splits "a.b.c.d" into exactly four parts.
bool SplitFour(std::string_view s, std::string_view parts[4]) {
  for (int i = 0; i < 3; ++i) {
    size_t dot = s.find('.');
    if (dot == std::string_view::npos) {
      return false;
    }
    parts[i] = s.substr(0, dot);
    s.remove_prefix(dot + 1);
  }
  parts[3] = s;
  return s.find('.') == std::string_view::npos;
}

bool IsValidImagePart(std::string_view image) {
  if (!image.empty() && image[0] == '_') {
    return image.size() == 1 + kKeyHexDigits && IsHex(image.substr(1));
  }
  return IsPlainId(image);
}

}  // namespace

std::string VersionName::Stem() const {
  std::string stem;
  stem.reserve(image.size() + key.size() + 32);
  stem.append(image).append(".").append(key).append(".");
  stem.append(std::to_string(size)).append(".").append(std::to_string(block_size));
  return stem;
}

uint32_t VersionName::BlockLength(uint64_t index) const {
  uint64_t start = index * block_size;
  if (start >= size) {
    return 0;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(block_size, size - start));
}

VersionName NameOf(const ImageLayout& layout) {
  VersionName name;
  name.image = IsPlainId(layout.image_id) ? layout.image_id : "_" + HashPrefix(layout.image_id);
  name.key = KeyPart(layout.content_key);
  name.size = layout.size;
  name.block_size = layout.block_size;
  return name;
}

std::optional<VersionName> ParseVersionName(std::string_view name) {
  if (name.ends_with(kDataSuffix)) {
    name.remove_suffix(kDataSuffix.size());
  }
  std::string_view parts[4];
  if (!SplitFour(name, parts) || !IsValidImagePart(parts[0]) || parts[1].size() != kKeyHexDigits ||
      !IsHex(parts[1])) {
    return std::nullopt;
  }
  std::optional<uint64_t> size = ParseDecimal<uint64_t>(parts[2]);
  std::optional<uint32_t> block_size = ParseDecimal<uint32_t>(parts[3]);
  if (!size || !block_size || *size > kMaxImageSize || *block_size == 0 ||
      *block_size > kMaxBlockSize) {
    return std::nullopt;
  }
  return VersionName{std::string(parts[0]), std::string(parts[1]), *size, *block_size};
}

Status ValidateLayout(const ImageLayout& layout) {
  if (layout.image_id.empty() || layout.content_key.empty()) {
    return InvalidArgument("image layout needs an image id and a content key");
  }
  if (layout.block_size == 0 || layout.block_size > kMaxBlockSize) {
    return InvalidArgument("block size out of range: " + std::to_string(layout.block_size));
  }
  if (layout.size > kMaxImageSize) {
    return InvalidArgument("image too large: " + std::to_string(layout.size));
  }
  if (layout.digests == nullptr || layout.digests->size() != layout.BlockCount()) {
    return InvalidArgument("image layout needs one digest per block");
  }
  if (layout.crc32c != nullptr && layout.crc32c->size() != layout.BlockCount()) {
    return InvalidArgument("image layout has CRC-32Cs, but not one per block");
  }
  return Status::Ok();
}

bool HasValidDigest(const ImageLayout& layout, uint64_t index) {
  return index < layout.digests->size() && (*layout.digests)[index].size() == kSha256Bytes;
}

}  // namespace imagefs::cache
