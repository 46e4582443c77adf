#include "service/backup/backup_codec.h"

#include <cstring>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/digest.h"
#include "common/time_util.h"
#include "common/wire/image_codec.h"

namespace imagefs::service::backup {
namespace json = boost::json;

namespace {

constexpr std::string_view kManifestMagic = "IFM1";
constexpr size_t kManifestHeader = 4 + 8 + 4;
constexpr size_t kDigestSize = 32;
constexpr std::string_view kServiceMetadataFormat = "imagefs-backup/1";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json::value OptString(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

json::object StringMap(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// Reads typed fields of one JSON object without throwing; the first mismatch
// is kept and reported by status().
class FieldReader {
 public:
  explicit FieldReader(const json::object& o) : o_(o) {}

  void Str(std::string_view key, std::string* out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_string()) return Fail(key);
    *out = std::string(v->get_string());
  }
  void OptStr(std::string_view key, std::optional<std::string>* out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return out->reset();
    if (!v->is_string()) return Fail(key);
    *out = std::string(v->get_string());
  }
  void U64(std::string_view key, uint64_t* out) {
    const json::value* v = o_.if_contains(key);
    if (v != nullptr && v->is_uint64()) {
      *out = v->get_uint64();
    } else if (v != nullptr && v->is_int64() && v->get_int64() >= 0) {
      *out = static_cast<uint64_t>(v->get_int64());
    } else {
      Fail(key);
    }
  }
  void I64(std::string_view key, int64_t* out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_number() || v->is_double()) return Fail(key);
    *out = v->is_int64() ? v->get_int64() : static_cast<int64_t>(v->get_uint64());
  }
  void Bool(std::string_view key, bool* out) {  // absent: unchanged
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) return;
    if (!v->is_bool()) return Fail(key);
    *out = v->get_bool();
  }
  void OptTime(std::string_view key, std::optional<int64_t>* out) {
    std::optional<std::string> text;
    OptStr(key, &text);
    if (!text) return out->reset();
    Result<int64_t> t = ParseIso(*text);
    if (!t.ok()) return Fail(key);
    *out = *t;
  }
  void Time(std::string_view key, int64_t* out) {
    std::optional<int64_t> t;
    OptTime(key, &t);
    if (!t) return Fail(key);
    *out = *t;
  }
  void Map(std::string_view key, std::map<std::string, std::string>* out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_object()) return Fail(key);
    for (const auto& kv : v->get_object()) {
      if (!kv.value().is_string()) return Fail(key);
      (*out)[std::string(kv.key())] = std::string(kv.value().get_string());
    }
  }
  const json::object* Object(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_object()) {
      Fail(key);
      return nullptr;
    }
    return &v->get_object();
  }
  Status status() const { return status_; }

 private:
  void Fail(std::string_view key) {
    if (status_.ok()) status_ = InvalidArgument("bad or missing field '" + std::string(key) + "'");
  }

  const json::object& o_;
  Status status_;
};

json::object SnapshotToJson(const ImageSnapshot& s) {
  json::object o;
  o["name"] = OptString(s.name);
  o["disk_format"] = OptString(s.disk_format);
  o["container_format"] = OptString(s.container_format);
  o["min_disk"] = s.min_disk;
  o["min_ram"] = s.min_ram;
  o["checksum"] = s.checksum;
  o["os_hash_value"] = s.os_hash_value;
  o["properties"] = StringMap(s.properties);
  return o;
}

Status SnapshotFromJson(const json::object& o, ImageSnapshot* s) {
  FieldReader r(o);
  r.OptStr("name", &s->name);
  r.OptStr("disk_format", &s->disk_format);
  r.OptStr("container_format", &s->container_format);
  r.I64("min_disk", &s->min_disk);
  r.I64("min_ram", &s->min_ram);
  r.Str("checksum", &s->checksum);
  r.Str("os_hash_value", &s->os_hash_value);
  r.Map("properties", &s->properties);
  return r.status();
}

json::object ManifestToJson(const Manifest& m) {
  json::object o;
  o["format"] = kServiceMetadataFormat;
  o["size_bytes"] = m.size;
  o["block_size"] = m.block_size;
  json::array digests;
  digests.reserve(m.digests.size());
  for (const auto& d : m.digests) digests.emplace_back(ToHex(d));
  o["digests"] = std::move(digests);
  return o;
}

Result<Manifest> ManifestFromJson(const json::object& o) {
  const json::value* format = o.if_contains("format");
  if (format == nullptr || !format->is_string() || format->get_string() != kServiceMetadataFormat) {
    return InvalidArgument("service_metadata is not an imagefs backup manifest");
  }
  Manifest m;
  uint64_t block_size = 0;
  FieldReader r(o);
  r.U64("size_bytes", &m.size);
  r.U64("block_size", &block_size);
  IMAGEFS_RETURN_IF_ERROR(r.status().Annotate("service_metadata"));
  if (block_size > UINT32_MAX) return InvalidArgument("service_metadata: block_size too large");
  m.block_size = static_cast<uint32_t>(block_size);
  const json::value* digests = o.if_contains("digests");
  if (digests == nullptr || !digests->is_array()) {
    return InvalidArgument("service_metadata: no digests");
  }
  for (const auto& d : digests->get_array()) {
    std::string raw;
    if (!d.is_string() || !FromHex(std::string_view(d.get_string()), &raw)) {
      return InvalidArgument("service_metadata: a digest is not hex");
    }
    m.digests.push_back(std::move(raw));
  }
  IMAGEFS_RETURN_IF_ERROR(m.Validate());
  return m;
}

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

int Base64Value(char c) {
  const char* p = std::strchr(kBase64Alphabet, c);
  return (c == '\0' || p == nullptr) ? -1 : static_cast<int>(p - kBase64Alphabet);
}

}  // namespace

json::object BackupToJson(const Backup& b) {
  json::object o;
  o["id"] = b.id;
  o["user_id"] = b.user_id;
  o["project_id"] = b.project_id;
  o["display_name"] = OptString(b.name);
  o["display_description"] = OptString(b.description);
  o["status"] = ToString(b.status);
  o["fail_reason"] = OptString(b.fail_reason);
  o["volume_id"] = b.image_id;
  o["container"] = b.container;
  o["availability_zone"] = OptString(b.availability_zone);
  o["created_at"] = FormatIsoMicros(b.created_at);
  o["updated_at"] = b.updated_at ? json::value(FormatIsoMicros(*b.updated_at)) : nullptr;
  o["data_timestamp"] = FormatIsoMicros(b.data_timestamp);
  o["parent_id"] = OptString(b.parent_id);
  o["snapshot_id"] = nullptr;
  o["metadata"] = StringMap(b.metadata);
  o["size"] = b.SizeGiB();
  o["size_bytes"] = b.size_bytes;
  o["object_count"] = b.object_count;
  o["stored_bytes"] = b.stored_bytes;
  o["counted"] = b.counted;
  o["restore_image_id"] = OptString(b.restore_image_id);
  o["restore_created_image"] = b.restore_created_image;
  o["image"] = SnapshotToJson(b.image);
  return o;
}

Result<Backup> BackupFromJson(const json::object& o) {
  Backup b;
  FieldReader r(o);
  std::string status;
  r.Str("id", &b.id);
  r.Str("user_id", &b.user_id);
  r.Str("project_id", &b.project_id);
  r.OptStr("display_name", &b.name);
  r.OptStr("display_description", &b.description);
  r.Str("status", &status);
  r.OptStr("fail_reason", &b.fail_reason);
  r.Str("volume_id", &b.image_id);
  r.Str("container", &b.container);
  r.OptStr("availability_zone", &b.availability_zone);
  r.Time("created_at", &b.created_at);
  r.OptTime("updated_at", &b.updated_at);
  r.Time("data_timestamp", &b.data_timestamp);
  r.OptStr("parent_id", &b.parent_id);
  r.Map("metadata", &b.metadata);
  r.U64("size_bytes", &b.size_bytes);
  r.U64("object_count", &b.object_count);
  r.U64("stored_bytes", &b.stored_bytes);
  r.Bool("counted", &b.counted);
  r.OptStr("restore_image_id", &b.restore_image_id);
  r.Bool("restore_created_image", &b.restore_created_image);
  const json::object* image = r.Object("image");
  IMAGEFS_RETURN_IF_ERROR(r.status());
  IMAGEFS_RETURN_IF_ERROR(SnapshotFromJson(*image, &b.image).Annotate("image"));
  std::optional<BackupStatus> parsed = ParseBackupStatus(status);
  if (!parsed) return InvalidArgument("unknown backup status '" + status + "'");
  b.status = *parsed;
  return b;
}

std::string EncodeBackupRecord(const Backup& backup) {
  return json::serialize(BackupToJson(backup));
}

Result<Backup> DecodeBackupRecord(std::string_view text) {
  Result<json::value> v = wire::ParseJson(text);
  if (!v.ok() || !v->is_object()) return DataLoss("backup record is not a JSON object");
  Result<Backup> b = BackupFromJson(v->get_object());
  if (!b.ok()) return DataLoss("backup record: " + b.status().message());
  return b;
}

std::string EncodeManifest(const Manifest& m) {
  std::string out(kManifestMagic);
  out.reserve(kManifestHeader + m.digests.size() * kDigestSize);
  PutLe(out, m.size, 8);
  PutLe(out, m.block_size, 4);
  for (const auto& d : m.digests) out += d;
  return out;
}

Result<Manifest> DecodeManifest(std::string_view bytes) {
  if (bytes.size() < kManifestHeader || bytes.substr(0, 4) != kManifestMagic ||
      (bytes.size() - kManifestHeader) % kDigestSize != 0) {
    return DataLoss("malformed backup manifest");
  }
  Manifest m;
  m.size = GetLe(bytes.substr(4), 8);
  m.block_size = static_cast<uint32_t>(GetLe(bytes.substr(12), 4));
  for (size_t at = kManifestHeader; at < bytes.size(); at += kDigestSize) {
    m.digests.emplace_back(bytes.substr(at, kDigestSize));
  }
  if (Status s = m.Validate(); !s.ok()) return DataLoss(s.message());
  return m;
}

std::string EncodeExportRecord(const Backup& backup, const Manifest& manifest) {
  json::object o = BackupToJson(backup);
  o["service"] = kBackupServiceName;
  o["service_metadata"] = ManifestToJson(manifest);
  return json::serialize(o);
}

Result<ExportRecord> DecodeExportRecord(std::string_view json_text) {
  Result<json::value> v = wire::ParseJson(json_text);
  if (!v.ok() || !v->is_object()) return InvalidArgument("Can't parse backup record.");
  const json::object& o = v->get_object();
  for (std::string_view key : {"id", "size", "display_name", "display_description", "container",
                               "object_count", "service_metadata"}) {
    if (!o.contains(key)) {
      return InvalidArgument("the backup record has no '" + std::string(key) + "'");
    }
  }
  ExportRecord record;
  IMAGEFS_ASSIGN_OR_RETURN(record.backup, BackupFromJson(o));
  const json::value& meta = o.at("service_metadata");
  if (!meta.is_object()) return InvalidArgument("service_metadata is not an object");
  IMAGEFS_ASSIGN_OR_RETURN(record.manifest, ManifestFromJson(meta.get_object()));
  if (record.manifest.size != record.backup.size_bytes) {
    return InvalidArgument("size_bytes of the record and of its manifest differ");
  }
  return record;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size())
      n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kBase64Alphabet[n & 63] : '=');
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("not base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    uint32_t n = 0;
    for (int k = 0; k < 4; ++k) {
      int value = k >= 4 - pad ? 0 : Base64Value(text[i + k]);
      if (value < 0) return InvalidArgument("not base64: unexpected character");
      n = (n << 6) | static_cast<uint32_t>(value);
    }
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

}  // namespace imagefs::service::backup
