#include "service/catalog/record_codec.h"

#include <cstdint>
#include <optional>
#include <utility>

namespace imagefs::service::catalog {
namespace {

// Presence bits of the optional image fields, in encoding order.
enum ImageField : uint32_t {
  kName = 1u << 0,
  kChecksum = 1u << 1,
  kHashAlgo = 1u << 2,
  kHashValue = 1u << 3,
  kOwner = 1u << 4,
  kSize = 1u << 5,
  kVirtualSize = 1u << 6,
  kContainerFormat = 1u << 7,
  kDiskFormat = 1u << 8,
  kDeletedAt = 1u << 9,
};
constexpr uint32_t kKnownImageFields = (1u << 10) - 1;

enum ImageFlag : uint8_t { kProtected = 1, kOsHidden = 2 };

class Writer {
 public:
  explicit Writer(uint8_t version) { out_.push_back(static_cast<char>(version)); }

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) {  // zig-zag
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void String(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  void OptString(const std::optional<std::string>& s) {
    if (s) String(*s);
  }
  void OptSigned(const std::optional<int64_t>& v) {
    if (v) Signed(*v);
  }
  void StringMap(const std::map<std::string, std::string>& m) {
    Varint(m.size());
    for (const auto& [k, v] : m) {
      String(k);
      String(v);
    }
  }
  void StringList(const std::vector<std::string>& list) {
    Varint(list.size());
    for (const std::string& s : list) String(s);
  }
  void Fixed32List(const std::vector<uint32_t>& list) {  // little-endian
    Varint(list.size());
    for (uint32_t v : list) {
      for (int shift = 0; shift < 32; shift += 8) out_.push_back(static_cast<char>(v >> shift));
    }
  }

  std::string Finish() && { return std::move(out_); }

 private:
  std::string out_;
};

// Reads a record; every accessor returns false once the input is exhausted or
// malformed, and stays failed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (in_.empty()) return false;
      auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Signed(int64_t* v) {
    uint64_t u = 0;
    if (!Varint(&u)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool Byte(uint8_t* b) {
    if (in_.empty()) return false;
    *b = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool String(std::string* s) {
    uint64_t n = 0;
    if (!Varint(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool OptString(bool present, std::optional<std::string>* s) {
    if (!present) return true;
    return String(&s->emplace());
  }
  bool OptSigned(bool present, std::optional<int64_t>* v) {
    if (!present) return true;
    return Signed(&v->emplace());
  }
  bool Count(uint64_t* n) {  // a count can never exceed the bytes left
    return Varint(n) && *n <= in_.size();
  }
  bool StringMap(std::map<std::string, std::string>* m) {
    uint64_t n = 0;
    if (!Count(&n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string k, v;
      if (!String(&k) || !String(&v)) return false;
      m->insert_or_assign(std::move(k), std::move(v));
    }
    return true;
  }
  bool StringList(std::vector<std::string>* list) {
    uint64_t n = 0;
    if (!Count(&n)) return false;
    list->resize(n);
    for (std::string& s : *list) {
      if (!String(&s)) return false;
    }
    return true;
  }
  bool Fixed32List(std::vector<uint32_t>* list) {
    uint64_t n = 0;
    if (!Varint(&n) || n > in_.size() / 4) return false;
    list->resize(n);
    for (uint32_t& v : *list) {
      v = 0;
      for (int shift = 0; shift < 32; shift += 8) {
        v |= uint32_t{static_cast<uint8_t>(in_.front())} << shift;
        in_.remove_prefix(1);
      }
    }
    return true;
  }
  bool AtEnd() const { return in_.empty(); }

 private:
  std::string_view in_;
};

Status Corrupt(std::string_view what) {
  return DataLoss("corrupt " + std::string(what) + " record in the catalog");
}

// Checks the version byte (1 up to `newest`), stores it in `*version` when asked,
// and returns the body.
Result<std::string_view> Body(std::string_view record, std::string_view what,
                              uint8_t newest = kRecordVersion1, uint8_t* version = nullptr) {
  if (record.empty()) return Corrupt(what);
  auto v = static_cast<uint8_t>(record.front());
  if (v < kRecordVersion1 || v > newest) {
    return DataLoss("unknown " + std::string(what) + " record version " + std::to_string(v) +
                    " in the catalog");
  }
  if (version != nullptr) *version = v;
  return record.substr(1);
}

uint32_t PresenceBits(const wire::Image& image) {
  uint32_t bits = 0;
  if (image.name) bits |= kName;
  if (image.checksum) bits |= kChecksum;
  if (image.os_hash_algo) bits |= kHashAlgo;
  if (image.os_hash_value) bits |= kHashValue;
  if (image.owner) bits |= kOwner;
  if (image.size) bits |= kSize;
  if (image.virtual_size) bits |= kVirtualSize;
  if (image.container_format) bits |= kContainerFormat;
  if (image.disk_format) bits |= kDiskFormat;
  if (image.deleted_at) bits |= kDeletedAt;
  return bits;
}

void WriteLocations(Writer& w, const std::vector<wire::Location>& locations) {
  w.Varint(locations.size());
  for (const wire::Location& loc : locations) {
    w.String(loc.url);
    w.StringMap(loc.metadata);
  }
}

bool ReadLocations(Reader& r, std::vector<wire::Location>* locations) {
  uint64_t n = 0;
  if (!r.Count(&n)) return false;
  locations->resize(n);
  for (wire::Location& loc : *locations) {
    if (!r.String(&loc.url) || !r.StringMap(&loc.metadata)) return false;
  }
  return true;
}

bool ReadOptionalImageFields(Reader& r, uint32_t bits, wire::Image* image) {
  return r.OptString(bits & kName, &image->name) &&
         r.OptString(bits & kChecksum, &image->checksum) &&
         r.OptString(bits & kHashAlgo, &image->os_hash_algo) &&
         r.OptString(bits & kHashValue, &image->os_hash_value) &&
         r.OptString(bits & kOwner, &image->owner) && r.OptSigned(bits & kSize, &image->size) &&
         r.OptSigned(bits & kVirtualSize, &image->virtual_size) &&
         r.OptString(bits & kContainerFormat, &image->container_format) &&
         r.OptString(bits & kDiskFormat, &image->disk_format) &&
         r.OptSigned(bits & kDeletedAt, &image->deleted_at);
}

bool ReadEnums(Reader& r, wire::Image* image) {
  std::string status, visibility;
  uint8_t flags = 0;
  if (!r.String(&status) || !r.String(&visibility) || !r.Byte(&flags)) return false;
  std::optional<wire::ImageStatus> s = wire::ParseImageStatus(status);
  std::optional<wire::Visibility> v = wire::ParseVisibility(visibility);
  if (!s || !v) return false;
  image->status = *s;
  image->visibility = *v;
  image->is_protected = (flags & kProtected) != 0;
  image->os_hidden = (flags & kOsHidden) != 0;
  return true;
}

}  // namespace

std::string EncodeImage(const wire::Image& image) {
  Writer w(kRecordVersion1);
  w.String(image.id);
  w.String(wire::ToString(image.status));
  w.String(wire::ToString(image.visibility));
  w.Byte((image.is_protected ? kProtected : 0) | (image.os_hidden ? kOsHidden : 0));
  w.Varint(PresenceBits(image));
  w.OptString(image.name);
  w.OptString(image.checksum);
  w.OptString(image.os_hash_algo);
  w.OptString(image.os_hash_value);
  w.OptString(image.owner);
  w.OptSigned(image.size);
  w.OptSigned(image.virtual_size);
  w.OptString(image.container_format);
  w.OptString(image.disk_format);
  w.OptSigned(image.deleted_at);
  w.Signed(image.min_disk);
  w.Signed(image.min_ram);
  w.Signed(image.created_at);
  w.Signed(image.updated_at);
  w.Varint(image.block_size);
  w.StringList(image.tags);
  w.StringMap(image.properties);
  WriteLocations(w, image.locations);
  w.StringList(image.stores);
  return std::move(w).Finish();
}

Result<wire::Image> DecodeImage(std::string_view record) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string_view body, Body(record, "image"));
  Reader r(body);
  wire::Image image;
  uint64_t bits = 0, block_size = 0;
  bool ok = r.String(&image.id) && ReadEnums(r, &image) && r.Varint(&bits) &&
            (bits & ~uint64_t{kKnownImageFields}) == 0 &&
            ReadOptionalImageFields(r, static_cast<uint32_t>(bits), &image) &&
            r.Signed(&image.min_disk) && r.Signed(&image.min_ram) && r.Signed(&image.created_at) &&
            r.Signed(&image.updated_at) && r.Varint(&block_size) && block_size <= UINT32_MAX &&
            r.StringList(&image.tags) && r.StringMap(&image.properties) &&
            ReadLocations(r, &image.locations) && r.StringList(&image.stores) && r.AtEnd();
  if (!ok) return Corrupt("image");
  image.block_size = static_cast<uint32_t>(block_size);
  return image;
}

std::string EncodeMember(const wire::Member& member) {
  Writer w(kRecordVersion1);
  w.String(member.image_id);
  w.String(member.member_id);
  w.String(wire::ToString(member.status));
  w.Byte(member.can_share ? 1 : 0);
  w.Signed(member.created_at);
  w.Signed(member.updated_at);
  return std::move(w).Finish();
}

Result<wire::Member> DecodeMember(std::string_view record) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string_view body, Body(record, "member"));
  Reader r(body);
  wire::Member member;
  std::string status;
  uint8_t can_share = 0;
  bool ok = r.String(&member.image_id) && r.String(&member.member_id) && r.String(&status) &&
            r.Byte(&can_share) && can_share <= 1 && r.Signed(&member.created_at) &&
            r.Signed(&member.updated_at) && r.AtEnd();
  std::optional<wire::MemberStatus> parsed = wire::ParseMemberStatus(status);
  if (!ok || !parsed) return Corrupt("member");
  member.status = *parsed;
  member.can_share = can_share == 1;
  return member;
}

// Version 2 is version 1 with the CRC-32C list appended; a new version byte rather
// than an optional tail, so that a version 2 record cut right after its digests is
// still caught as corrupt.
std::string EncodeBlockMap(const wire::BlockMap& map) {
  Writer w(kBlockMapVersion2);
  w.String(map.image_id);
  w.String(map.content_key);
  w.Varint(map.size);
  w.Varint(map.block_size);
  w.String(map.algorithm);
  w.StringList(map.digests);
  w.Fixed32List(map.crc32c);
  return std::move(w).Finish();
}

Result<wire::BlockMap> DecodeBlockMap(std::string_view record) {
  uint8_t version = 0;
  IMAGEFS_ASSIGN_OR_RETURN(std::string_view body,
                           Body(record, "block map", kBlockMapVersion2, &version));
  Reader r(body);
  wire::BlockMap map;
  uint64_t block_size = 0;
  bool ok = r.String(&map.image_id) && r.String(&map.content_key) && r.Varint(&map.size) &&
            r.Varint(&block_size) && block_size <= UINT32_MAX && r.String(&map.algorithm) &&
            r.StringList(&map.digests) &&
            (version < kBlockMapVersion2 || r.Fixed32List(&map.crc32c)) && r.AtEnd() &&
            (map.crc32c.empty() || map.crc32c.size() == map.digests.size());
  if (!ok) return Corrupt("block map");
  map.block_size = static_cast<uint32_t>(block_size);
  return map;
}

}  // namespace imagefs::service::catalog
