#include "common/wire/image_codec.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>

#include "common/digest.h"
#include "common/hex.h"
#include "common/time_util.h"

namespace imagefs::wire {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 25> kBaseProperties = {
    "id",          "name",          "status",        "visibility",       "protected",
    "os_hidden",   "checksum",      "os_hash_algo",  "os_hash_value",    "owner",
    "size",        "virtual_size",  "min_disk",      "min_ram",          "container_format",
    "disk_format", "created_at",    "updated_at",    "tags",             "direct_url",
    "self",        "file",          "schema",        "locations",        "stores"};

json::value OptString(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

json::value OptInt(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// Field readers that never throw; each returns false on a type mismatch.
bool ReadOptString(const json::object& o, std::string_view key, std::optional<std::string>* out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) {
    out->reset();
    return true;
  }
  if (!it->value().is_string()) return false;
  *out = std::string(it->value().get_string());
  return true;
}

bool ReadOptInt(const json::object& o, std::string_view key, std::optional<int64_t>* out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) {
    out->reset();
    return true;
  }
  if (it->value().is_int64()) {
    *out = it->value().get_int64();
    return true;
  }
  if (it->value().is_uint64()) {
    *out = static_cast<int64_t>(it->value().get_uint64());
    return true;
  }
  return false;
}

bool ReadBool(const json::object& o, std::string_view key, bool* out) {
  auto it = o.find(key);
  if (it == o.end()) return true;
  if (!it->value().is_bool()) return false;
  *out = it->value().get_bool();
  return true;
}

bool ReadTime(const json::object& o, std::string_view key, int64_t* out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return true;
  if (!it->value().is_string()) return false;
  auto t = ParseIso(std::string_view(it->value().get_string()));
  if (!t.ok()) return false;
  *out = *t;
  return true;
}

Status Bad(std::string_view what) {
  return InvalidArgument("malformed image JSON: " + std::string(what));
}

// A CRC-32C as the block map shows it: 8 lower-case hex digits, most significant first
// (common/hex of its four bytes, big-endian).
std::string CrcHex(uint32_t crc) {
  const char raw[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                       static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return ToHex(std::string_view(raw, 4));
}

bool ParseCrcHex(std::string_view hex, uint32_t* crc) {
  std::string raw;
  if (hex.size() != 8 || !FromHex(hex, &raw)) return false;
  uint32_t v = 0;
  for (char c : raw) v = (v << 8) | static_cast<uint8_t>(c);
  *crc = v;
  return true;
}

}  // namespace

bool IsBaseProperty(std::string_view key) {
  for (auto k : kBaseProperties) {
    if (k == key) return true;
  }
  return false;
}

json::object ToV2Json(const Image& image, const RenderOptions& options) {
  json::object o;
  o.reserve(image.properties.size() + 26);
  for (const auto& [k, v] : image.properties) {
    // Internal bookkeeping keys are never shown (spec 1.2).
    if (k == "os_glance_stage_host" || k == "os_glance_hash_op_host") continue;
    o[k] = v;
  }
  o["name"] = OptString(image.name);
  o["disk_format"] = OptString(image.disk_format);
  o["container_format"] = OptString(image.container_format);
  o["visibility"] = ToString(image.visibility);
  o["size"] = OptInt(image.size);
  o["virtual_size"] = OptInt(image.virtual_size);
  o["status"] = ToString(image.status);
  o["checksum"] = OptString(image.checksum);
  o["protected"] = image.is_protected;
  o["min_ram"] = image.min_ram;
  o["min_disk"] = image.min_disk;
  o["owner"] = OptString(image.owner);
  o["os_hidden"] = image.os_hidden;
  o["os_hash_algo"] = OptString(image.os_hash_algo);
  o["os_hash_value"] = OptString(image.os_hash_value);
  o["id"] = image.id;
  o["created_at"] = FormatIsoZ(image.created_at);
  o["updated_at"] = FormatIsoZ(image.updated_at);
  json::array tags;
  tags.reserve(image.tags.size());
  for (const auto& t : image.tags) tags.emplace_back(t);
  o["tags"] = std::move(tags);
  if (options.show_locations) {
    json::array locs;
    for (const auto& l : image.locations) {
      json::object meta;
      for (const auto& [k, v] : l.metadata) meta[k] = v;
      locs.emplace_back(json::object{{"url", l.url}, {"metadata", std::move(meta)}});
    }
    o["locations"] = std::move(locs);
  }
  if (options.show_direct_url && !image.locations.empty()) {
    o["direct_url"] = image.locations.front().url;
  }
  std::string self = "/v2/images/" + image.id;
  o["self"] = self;
  o["file"] = self + "/file";
  o["schema"] = "/v2/schemas/image";
  if (options.multi_store && !image.stores.empty() &&
      image.status != ImageStatus::kDeactivated) {
    std::string joined;
    for (const auto& s : image.stores) {
      if (!joined.empty()) joined += ',';
      joined += s;
    }
    o["stores"] = joined;
  }
  return o;
}

std::string SerializeV2Image(const Image& image, const RenderOptions& options) {
  return json::serialize(ToV2Json(image, options));
}

Result<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return InvalidArgument("malformed JSON: " + ec.message());
  return v;
}

Result<Image> ParseV2ImageValue(const json::value& v) {
  if (!v.is_object()) return Bad("not an object");
  const json::object& o = v.get_object();
  Image img;
  auto id = o.find("id");
  if (id == o.end() || !id->value().is_string()) return Bad("no id");
  img.id = std::string(id->value().get_string());
  if (!ReadOptString(o, "name", &img.name)) return Bad("name");
  std::optional<std::string> s;
  if (!ReadOptString(o, "status", &s)) return Bad("status");
  if (s) {
    auto st = ParseImageStatus(*s);
    if (!st) return Bad("status value");
    img.status = *st;
  }
  if (!ReadOptString(o, "visibility", &s)) return Bad("visibility");
  if (s) {
    auto vis = ParseVisibility(*s);
    if (!vis) return Bad("visibility value");
    img.visibility = *vis;
  }
  if (!ReadBool(o, "protected", &img.is_protected)) return Bad("protected");
  if (!ReadBool(o, "os_hidden", &img.os_hidden)) return Bad("os_hidden");
  if (!ReadOptString(o, "checksum", &img.checksum) ||
      !ReadOptString(o, "os_hash_algo", &img.os_hash_algo) ||
      !ReadOptString(o, "os_hash_value", &img.os_hash_value) ||
      !ReadOptString(o, "owner", &img.owner) ||
      !ReadOptString(o, "container_format", &img.container_format) ||
      !ReadOptString(o, "disk_format", &img.disk_format)) {
    return Bad("string field");
  }
  if (!ReadOptInt(o, "size", &img.size) || !ReadOptInt(o, "virtual_size", &img.virtual_size)) {
    return Bad("size");
  }
  std::optional<int64_t> n;
  if (!ReadOptInt(o, "min_disk", &n)) return Bad("min_disk");
  img.min_disk = n.value_or(0);
  if (!ReadOptInt(o, "min_ram", &n)) return Bad("min_ram");
  img.min_ram = n.value_or(0);
  if (!ReadTime(o, "created_at", &img.created_at) || !ReadTime(o, "updated_at", &img.updated_at)) {
    return Bad("timestamp");
  }
  if (auto t = o.find("tags"); t != o.end() && t->value().is_array()) {
    for (const auto& e : t->value().get_array()) {
      if (e.is_string()) img.tags.emplace_back(e.get_string());
    }
  }
  if (auto st = o.find("stores"); st != o.end() && st->value().is_string()) {
    std::string_view all = st->value().get_string();
    size_t pos = 0;
    while (pos <= all.size()) {
      size_t comma = all.find(',', pos);
      if (comma == std::string_view::npos) comma = all.size();
      if (comma > pos) img.stores.emplace_back(all.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  for (const auto& kv : o) {
    if (IsBaseProperty(kv.key())) continue;
    if (kv.value().is_string()) img.properties[std::string(kv.key())] = kv.value().get_string();
  }
  return img;
}

Result<Image> ParseV2Image(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  return ParseV2ImageValue(v);
}

Result<ImagePage> ParseV2ImagePage(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return Bad("image list is not an object");
  const json::object& o = v.get_object();
  auto it = o.find("images");
  if (it == o.end() || !it->value().is_array()) return Bad("no images array");
  ImagePage page;
  page.images.reserve(it->value().get_array().size());
  for (const auto& e : it->value().get_array()) {
    IMAGEFS_ASSIGN_OR_RETURN(Image img, ParseV2ImageValue(e));
    page.images.push_back(std::move(img));
  }
  if (auto nx = o.find("next"); nx != o.end() && nx->value().is_string()) {
    page.next = std::string(nx->value().get_string());
  }
  return page;
}

json::object ToV2Json(const Member& m) {
  return json::object{{"member_id", m.member_id},
                      {"image_id", m.image_id},
                      {"status", ToString(m.status)},
                      {"created_at", FormatIsoZ(m.created_at)},
                      {"updated_at", FormatIsoZ(m.updated_at)},
                      {"schema", "/v2/schemas/member"}};
}

Result<Member> ParseV2Member(const json::value& v) {
  if (!v.is_object()) return InvalidArgument("member is not an object");
  const json::object& o = v.get_object();
  Member m;
  std::optional<std::string> s;
  if (!ReadOptString(o, "member_id", &s) || !s) return InvalidArgument("member without member_id");
  m.member_id = *s;
  if (!ReadOptString(o, "image_id", &s) || !s) return InvalidArgument("member without image_id");
  m.image_id = *s;
  if (!ReadOptString(o, "status", &s) || !s) return InvalidArgument("member without status");
  auto st = ParseMemberStatus(*s);
  if (!st) return InvalidArgument("member status");
  m.status = *st;
  if (!ReadTime(o, "created_at", &m.created_at) || !ReadTime(o, "updated_at", &m.updated_at)) {
    return InvalidArgument("member timestamps");
  }
  return m;
}

Result<std::vector<Member>> ParseV2MemberList(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return InvalidArgument("member list is not an object");
  auto it = v.get_object().find("members");
  if (it == v.get_object().end() || !it->value().is_array()) {
    return InvalidArgument("no members array");
  }
  std::vector<Member> out;
  for (const auto& e : it->value().get_array()) {
    IMAGEFS_ASSIGN_OR_RETURN(Member m, ParseV2Member(e));
    out.push_back(std::move(m));
  }
  return out;
}

json::object ToJson(const BlockMap& map) {
  json::array digests;
  digests.reserve(map.digests.size());
  for (const auto& d : map.digests) digests.emplace_back(ToHex(d));
  json::object o{{"image_id", map.image_id},   {"content_key", map.content_key},
                 {"size", map.size},           {"block_size", map.block_size},
                 {"algorithm", map.algorithm}, {"digests", std::move(digests)}};
  // Absent rather than empty when unknown, so that maps recorded before imaged kept
  // CRCs look exactly as they always did.
  if (!map.crc32c.empty()) {
    json::array crcs;
    crcs.reserve(map.crc32c.size());
    for (uint32_t crc : map.crc32c) crcs.emplace_back(CrcHex(crc));
    o["crc32c"] = std::move(crcs);
  }
  return o;
}

Result<BlockMap> ParseBlockMap(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return InvalidArgument("block map is not an object");
  const json::object& o = v.get_object();
  BlockMap m;
  std::optional<std::string> s;
  std::optional<int64_t> n;
  if (!ReadOptString(o, "image_id", &s) || !s) return InvalidArgument("block map: image_id");
  m.image_id = *s;
  if (!ReadOptString(o, "content_key", &s)) return InvalidArgument("block map: content_key");
  m.content_key = s.value_or("");
  if (!ReadOptString(o, "algorithm", &s) || !s) return InvalidArgument("block map: algorithm");
  m.algorithm = *s;
  if (!ReadOptInt(o, "size", &n) || !n || *n < 0) return InvalidArgument("block map: size");
  m.size = static_cast<uint64_t>(*n);
  if (!ReadOptInt(o, "block_size", &n) || !n || *n <= 0 || *n > (1 << 30)) {
    return InvalidArgument("block map: block_size");
  }
  m.block_size = static_cast<uint32_t>(*n);
  auto it = o.find("digests");
  if (it == o.end() || !it->value().is_array()) return InvalidArgument("block map: digests");
  m.digests.reserve(it->value().get_array().size());
  for (const auto& e : it->value().get_array()) {
    std::string raw;
    if (!e.is_string() || !FromHex(std::string_view(e.get_string()), &raw) || raw.size() != 32) {
      return InvalidArgument("block map: digest");
    }
    m.digests.push_back(std::move(raw));
  }
  if (m.digests.size() != m.BlockCount()) return InvalidArgument("block map: digest count");
  it = o.find("crc32c");
  if (it != o.end()) {  // optional: maps recorded before imaged kept CRCs have none
    if (!it->value().is_array()) return InvalidArgument("block map: crc32c");
    m.crc32c.reserve(it->value().get_array().size());
    for (const auto& e : it->value().get_array()) {
      uint32_t crc = 0;
      if (!e.is_string() || !ParseCrcHex(std::string_view(e.get_string()), &crc)) {
        return InvalidArgument("block map: crc32c entry");
      }
      m.crc32c.push_back(crc);
    }
    if (m.crc32c.size() != m.digests.size()) return InvalidArgument("block map: crc32c count");
  }
  return m;
}

}  // namespace imagefs::wire
