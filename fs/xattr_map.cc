#include "fs/xattr_map.h"

#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <sys/xattr.h>

#include "common/time_util.h"
#include "common/wire/image_codec.h"

namespace imagefs::fs {
namespace {

namespace json = boost::json;
using wire::Image;

// How a writable field's text becomes a JSON value; kReadOnly fields refuse.
enum class Kind { kReadOnly, kString, kFormat, kVisibility, kBool, kInt, kTags };

using Getter = std::optional<std::string> (*)(const Image&);

struct Field {
  std::string_view name;
  Kind kind;
  Getter get;
};

std::optional<std::string> OptInt(const std::optional<int64_t>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out += ',';
    out += t;
  }
  return out;
}

constexpr std::array<Field, 19> kFields = {{
    {"id", Kind::kReadOnly, [](const Image& i) { return std::optional<std::string>(i.id); }},
    {"name", Kind::kString, [](const Image& i) { return i.name; }},
    {"disk_format", Kind::kFormat, [](const Image& i) { return i.disk_format; }},
    {"container_format", Kind::kFormat, [](const Image& i) { return i.container_format; }},
    {"size", Kind::kReadOnly, [](const Image& i) { return OptInt(i.size); }},
    {"virtual_size", Kind::kReadOnly, [](const Image& i) { return OptInt(i.virtual_size); }},
    {"checksum", Kind::kReadOnly, [](const Image& i) { return i.checksum; }},
    {"os_hash_algo", Kind::kReadOnly, [](const Image& i) { return i.os_hash_algo; }},
    {"os_hash_value", Kind::kReadOnly, [](const Image& i) { return i.os_hash_value; }},
    {"status", Kind::kReadOnly,
     [](const Image& i) { return std::optional<std::string>(wire::ToString(i.status)); }},
    {"visibility", Kind::kVisibility,
     [](const Image& i) { return std::optional<std::string>(wire::ToString(i.visibility)); }},
    {"protected", Kind::kBool,
     [](const Image& i) { return std::optional<std::string>(Bool(i.is_protected)); }},
    {"os_hidden", Kind::kBool,
     [](const Image& i) { return std::optional<std::string>(Bool(i.os_hidden)); }},
    {"min_ram", Kind::kInt,
     [](const Image& i) { return std::optional<std::string>(std::to_string(i.min_ram)); }},
    {"min_disk", Kind::kInt,
     [](const Image& i) { return std::optional<std::string>(std::to_string(i.min_disk)); }},
    {"owner", Kind::kReadOnly, [](const Image& i) { return i.owner; }},
    {"created_at", Kind::kReadOnly,
     [](const Image& i) { return std::optional<std::string>(FormatIsoZ(i.created_at)); }},
    {"updated_at", Kind::kReadOnly,
     [](const Image& i) { return std::optional<std::string>(FormatIsoZ(i.updated_at)); }},
    {"tags", Kind::kTags,
     [](const Image& i) { return std::optional<std::string>(JoinTags(i.tags)); }},
}};

const Field* FindField(std::string_view suffix) {
  for (const Field& f : kFields) {
    if (f.name == suffix) return &f;
  }
  return nullptr;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

Result<json::value> ParseTags(std::string_view value) {
  json::array tags;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view t = value.substr(pos, comma - pos);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    if (!t.empty()) tags.emplace_back(t);
    pos = comma + 1;
  }
  return json::value(std::move(tags));
}

Result<json::value> ParseInt(std::string_view value) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || n < 0) {
    return InvalidArgument("expected a non-negative integer");
  }
  return json::value(n);
}

// The JSON value `text` stands for in a field of `kind`.
Result<json::value> FieldValue(const Field& f, std::string_view text) {
  switch (f.kind) {
    case Kind::kReadOnly:
      return FailedPrecondition("user.x-image-meta-" + std::string(f.name) + " is read-only");
    case Kind::kString:
    case Kind::kFormat:
      return json::value(json::string(text));
    case Kind::kVisibility:
      if (!wire::ParseVisibility(text)) {
        return InvalidArgument("visibility must be public, community, shared or private");
      }
      return json::value(json::string(text));
    case Kind::kBool: {
      IMAGEFS_ASSIGN_OR_RETURN(bool b, ParseBoolValue(text));
      return json::value(b);
    }
    case Kind::kInt:
      return ParseInt(text);
    case Kind::kTags:
      return ParseTags(text);
  }
  return Internal("unknown field kind");
}

std::string PatchBody(std::string_view op, std::string_view key, const json::value* value) {
  json::object o;
  o["op"] = op;
  o["path"] = "/" + JsonPointerToken(key);
  if (value != nullptr) o["value"] = *value;
  json::array body;
  body.emplace_back(std::move(o));
  return json::serialize(body);
}

Status CheckFlags(bool exists, int flags) {
  if ((flags & XATTR_CREATE) != 0 && exists) return AlreadyExists("attribute exists");
  if ((flags & XATTR_REPLACE) != 0 && !exists) return NotFound("no such attribute");
  return Status::Ok();
}

Result<std::string> PlanSetProperty(const Image& image, std::string_view key,
                                    std::string_view value, int flags) {
  if (key.empty()) return InvalidArgument("empty property key");
  if (wire::IsBaseProperty(key)) {
    return InvalidArgument("'" + std::string(key) + "' is a core field, not a property");
  }
  if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
    return InvalidArgument("property keys and values must be UTF-8 text");
  }
  IMAGEFS_RETURN_IF_ERROR(CheckFlags(image.properties.count(std::string(key)) > 0, flags));
  // "add" on an existing key replaces it (Glance, RFC 6902), so it serves both cases.
  json::value v(json::string{value});
  return PatchBody("add", key, &v);
}

}  // namespace

bool IsForeignNamespace(std::string_view name) { return !name.starts_with("user."); }

std::vector<std::string> ListXattrNames(const Image& image) {
  std::vector<std::string> names;
  names.reserve(kFields.size() + image.properties.size());
  for (const Field& f : kFields) {
    if (f.get(image)) names.push_back(std::string(kMetaPrefix) + std::string(f.name));
  }
  for (const auto& [key, value] : image.properties) {
    names.push_back(std::string(kPropertyPrefix) + key);
  }
  return names;
}

Result<std::string> GetXattr(const Image& image, std::string_view name) {
  if (name.starts_with(kPropertyPrefix)) {
    auto it = image.properties.find(std::string(name.substr(kPropertyPrefix.size())));
    if (it == image.properties.end()) return NotFound("no such property");
    return it->second;
  }
  if (name.starts_with(kMetaPrefix)) {
    const Field* f = FindField(name.substr(kMetaPrefix.size()));
    if (f != nullptr) {
      if (auto v = f->get(image)) return *v;
    }
  }
  return NotFound("no such attribute");
}

Result<std::string> PlanSetXattr(const Image& image, std::string_view name, std::string_view value,
                                 int flags) {
  if (name.starts_with(kPropertyPrefix)) {
    return PlanSetProperty(image, name.substr(kPropertyPrefix.size()), value, flags);
  }
  const Field* f =
      name.starts_with(kMetaPrefix) ? FindField(name.substr(kMetaPrefix.size())) : nullptr;
  if (f == nullptr) {
    return Unimplemented("only user.x-image-meta-* attributes are stored");
  }
  IMAGEFS_RETURN_IF_ERROR(CheckFlags(true, flags));
  if (!IsValidUtf8(value)) return InvalidArgument("values must be UTF-8 text");
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, FieldValue(*f, value));
  return PatchBody("replace", f->name, &v);
}

Result<std::string> PlanRemoveXattr(const Image& image, std::string_view name) {
  if (name.starts_with(kPropertyPrefix)) {
    std::string key(name.substr(kPropertyPrefix.size()));
    if (image.properties.count(key) == 0) return NotFound("no such property");
    return PatchBody("remove", key, nullptr);
  }
  if (name.starts_with(kMetaPrefix) && FindField(name.substr(kMetaPrefix.size())) != nullptr) {
    return FailedPrecondition("core fields cannot be removed");
  }
  return NotFound("no such attribute");
}

Result<bool> ParseBoolValue(std::string_view value) {
  std::string v(value);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return InvalidArgument("expected true or false");
}

std::string JsonPointerToken(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace imagefs::fs
