#include "service/backup/backup_requests.h"

#include <algorithm>
#include <array>
#include <initializer_list>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/uuid.h"
#include "common/wire/image_codec.h"
#include "service/backup/backup_codec.h"

namespace imagefs::service::backup {
namespace json = boost::json;

namespace {

constexpr size_t kMaxString = 255;
constexpr int kMetadataVersion = 43;
constexpr int kAzVersion = 51;

// Cinder's parameter_types.boolean enum.
constexpr std::array<std::string_view, 12> kTrue = {"True", "TRUE", "true", "1",   "ON", "On",
                                                    "on",   "YES",  "Yes",  "yes", "y",  "t"};
constexpr std::array<std::string_view, 12> kFalse = {"False", "FALSE", "false", "0",  "OFF", "Off",
                                                     "off",   "NO",    "No",    "no", "n",   "f"};

Status Invalid(std::string_view field, std::string_view why) {
  return InvalidArgument("Invalid input for field/attribute " + std::string(field) + ". " +
                         std::string(why));
}

std::string Show(const json::value& v) { return json::serialize(v); }

// The object under `key`, the only member `body` may have. nullptr for a null
// value when `nullable`.
Result<const json::object*> Envelope(const json::value& body, std::string_view key, bool nullable) {
  if (!body.is_object()) return Invalid(key, "The request body must be a JSON object.");
  const json::object& o = body.get_object();
  for (const auto& kv : o) {
    if (kv.key() != key) {
      return Invalid(key, "Additional properties are not allowed ('" + std::string(kv.key()) +
                              "' was unexpected)");
    }
  }
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Invalid(key, "'" + std::string(key) + "' is a required property");
  if (v->is_null() && nullable) return static_cast<const json::object*>(nullptr);
  if (!v->is_object()) return Invalid(key, Show(*v) + " is not of type 'object'");
  return &v->get_object();
}

Status OnlyKeys(const json::object& o, std::string_view field,
                std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
      return Invalid(field, "Additional properties are not allowed ('" + std::string(kv.key()) +
                                "' was unexpected)");
    }
  }
  return Status::Ok();
}

std::string Strip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// A string or null of at most kMaxString characters; absent and null are nullopt.
Result<std::optional<std::string>> NullableString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return Invalid(key, Show(*v) + " is not of type 'string', 'null'");
  if (v->get_string().size() > kMaxString) return Invalid(key, "It is longer than 255 characters.");
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::optional<std::string>> NullableUuid(const json::object& o, std::string_view key) {
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<std::string> s, NullableString(o, key));
  if (s && !IsUuid(*s)) return Invalid(key, "'" + *s + "' is not a 'uuid'");
  return s;
}

Result<bool> Boolean(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) {
    std::string_view s = v->get_string();
    if (std::find(kTrue.begin(), kTrue.end(), s) != kTrue.end()) return true;
    if (std::find(kFalse.begin(), kFalse.end(), s) != kFalse.end()) return false;
  }
  return Invalid(key, Show(*v) + " is not one of the boolean spellings");
}

bool IsMetadataKey(std::string_view k) {
  return !k.empty() && k.size() <= kMaxString && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
           c == '.' || c == ' ' || c == '/';
  });
}

// Cinder's extra_specs: {"<[a-zA-Z0-9-_:. /]{1,255}>": "<string of <= 255>"}.
Result<std::map<std::string, std::string>> Metadata(const json::value& v) {
  if (!v.is_object()) return Invalid("metadata", Show(v) + " is not of type 'object'");
  std::map<std::string, std::string> out;
  for (const auto& kv : v.get_object()) {
    if (!IsMetadataKey(kv.key())) {
      return Invalid("metadata", "'" + std::string(kv.key()) + "' is not a valid metadata key");
    }
    if (!kv.value().is_string() || kv.value().get_string().size() > kMaxString) {
      return Invalid("metadata/" + std::string(kv.key()),
                     "Metadata values are strings of at most 255 characters.");
    }
    out[std::string(kv.key())] = std::string(kv.value().get_string());
  }
  return out;
}

// volume_id and its imagefs alias image_id: the one image a call names.
Result<std::optional<std::string>> ImageRef(const json::object& o) {
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<std::string> volume, NullableUuid(o, "volume_id"));
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<std::string> image, NullableUuid(o, "image_id"));
  if (volume && image && *volume != *image) {
    return Invalid("image_id", "volume_id and image_id name different images.");
  }
  return volume ? volume : image;
}

Status CreateFields(const json::object& b, int minor, CreateBody& out) {
  IMAGEFS_ASSIGN_OR_RETURN(out.name, NullableString(b, "name"));
  IMAGEFS_ASSIGN_OR_RETURN(out.description, NullableString(b, "description"));
  IMAGEFS_ASSIGN_OR_RETURN(out.container, NullableString(b, "container"));
  if (out.container && out.container->empty()) out.container.reset();
  if (out.name) out.name = Strip(*out.name);
  if (out.description) out.description = Strip(*out.description);
  IMAGEFS_ASSIGN_OR_RETURN(out.incremental, Boolean(b, "incremental"));
  IMAGEFS_ASSIGN_OR_RETURN(out.force, Boolean(b, "force"));
  IMAGEFS_ASSIGN_OR_RETURN(out.snapshot_id, NullableUuid(b, "snapshot_id"));
  if (const json::value* m = b.if_contains("metadata"); m != nullptr && !m->is_null()) {
    IMAGEFS_ASSIGN_OR_RETURN(out.metadata, Metadata(*m));
  }
  if (minor >= kAzVersion) {
    IMAGEFS_ASSIGN_OR_RETURN(out.availability_zone, NullableString(b, "availability_zone"));
  }
  return Status::Ok();
}

}  // namespace

Result<CreateBody> ParseCreateBody(const json::value& body, int minor) {
  IMAGEFS_ASSIGN_OR_RETURN(const json::object* b, Envelope(body, "backup", false));
  if (minor >= kAzVersion) {
    IMAGEFS_RETURN_IF_ERROR(
        OnlyKeys(*b, "backup",
                 {"volume_id", "image_id", "container", "description", "incremental", "force",
                  "name", "snapshot_id", "metadata", "availability_zone"}));
  } else if (minor >= kMetadataVersion) {
    IMAGEFS_RETURN_IF_ERROR(OnlyKeys(*b, "backup",
                                     {"volume_id", "image_id", "container", "description",
                                      "incremental", "force", "name", "snapshot_id", "metadata"}));
  } else {
    IMAGEFS_RETURN_IF_ERROR(OnlyKeys(*b, "backup",
                                     {"volume_id", "image_id", "container", "description",
                                      "incremental", "force", "name", "snapshot_id"}));
  }
  CreateBody out;
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<std::string> image, ImageRef(*b));
  if (!image) return Invalid("backup", "'volume_id' is a required property");
  out.image_id = *image;
  IMAGEFS_RETURN_IF_ERROR(CreateFields(*b, minor, out));
  return out;
}

Result<UpdateBody> ParseUpdateBody(const json::value& body, int minor) {
  IMAGEFS_ASSIGN_OR_RETURN(const json::object* b, Envelope(body, "backup", true));
  UpdateBody out;
  if (b == nullptr) return out;
  if (minor >= kMetadataVersion) {
    IMAGEFS_RETURN_IF_ERROR(OnlyKeys(*b, "backup", {"name", "description", "metadata"}));
  } else {
    IMAGEFS_RETURN_IF_ERROR(OnlyKeys(*b, "backup", {"name", "description"}));
  }
  if (b->contains("name")) {
    IMAGEFS_ASSIGN_OR_RETURN(std::optional<std::string> name, NullableString(*b, "name"));
    out.name = name ? std::optional<std::string>(Strip(*name)) : std::nullopt;
  }
  if (b->contains("description")) {
    IMAGEFS_ASSIGN_OR_RETURN(std::optional<std::string> d, NullableString(*b, "description"));
    out.description = d ? std::optional<std::string>(Strip(*d)) : std::nullopt;
  }
  if (const json::value* m = b->if_contains("metadata"); m != nullptr) {
    IMAGEFS_ASSIGN_OR_RETURN(out.metadata, Metadata(*m));
  }
  return out;
}

Result<RestoreBody> ParseRestoreBody(const json::value& body) {
  IMAGEFS_ASSIGN_OR_RETURN(const json::object* r, Envelope(body, "restore", true));
  RestoreBody out;
  if (r == nullptr) return out;  // Cinder's schema admits null (spec 6.4.6)
  IMAGEFS_RETURN_IF_ERROR(OnlyKeys(*r, "restore", {"volume_id", "image_id", "name"}));
  IMAGEFS_ASSIGN_OR_RETURN(out.image_id, ImageRef(*r));
  IMAGEFS_ASSIGN_OR_RETURN(out.name, NullableString(*r, "name"));
  return out;
}

Result<ImportBody> ParseImportBody(const json::value& body) {
  IMAGEFS_ASSIGN_OR_RETURN(const json::object* r, Envelope(body, "backup-record", false));
  IMAGEFS_RETURN_IF_ERROR(OnlyKeys(*r, "backup-record", {"backup_service", "backup_url"}));
  const json::value* service = r->if_contains("backup_service");
  const json::value* url = r->if_contains("backup_url");
  if (service == nullptr || url == nullptr) {
    return Invalid("backup-record", std::string("'") +
                                        (service == nullptr ? "backup_service" : "backup_url") +
                                        "' is a required property");
  }
  if (!service->is_string() || service->get_string().size() > kMaxString) {
    return Invalid("backup_service", Show(*service) + " is not a string of at most 255 characters");
  }
  if (!url->is_string() || url->get_string().empty()) {
    return Invalid("backup_url", Show(*url) + " is not a non-empty string");
  }
  Result<std::string> decoded = Base64Decode(std::string_view(url->get_string()));
  if (!decoded.ok()) return Invalid("backup_url", "The value is not a 'base64' string.");
  Result<json::value> record = wire::ParseJson(*decoded);
  if (!record.ok() || !record->is_object()) {
    return InvalidArgument("Invalid input received: Can't parse backup record.");
  }
  const json::object& o = record->get_object();
  const json::value* id = o.if_contains("id");
  if (id == nullptr)
    return InvalidArgument("Invalid input received: Provided backup record is missing an id");
  if (!o.contains("size")) {
    return InvalidArgument(
        "Invalid input received: Provided backup record is missing size "
        "attribute");
  }
  if (!id->is_string() || !IsUuid(id->get_string())) {
    return InvalidArgument("Invalid input received: the backup record's id is not a UUID");
  }
  return ImportBody{std::string(service->get_string()), std::move(*decoded),
                    std::string(id->get_string())};
}

Result<ActionBody> ParseActionBody(const json::value& body) {
  if (!body.is_object() || body.get_object().size() != 1) {
    return InvalidArgument("Malformed request body");
  }
  const auto& [key, value] = *body.get_object().begin();
  ActionBody out;
  out.action = std::string(key);
  if (out.action == "os-force_delete") return out;
  if (out.action != "os-reset_status") {
    return InvalidArgument("There is no such action: " + out.action);
  }
  if (!value.is_object())
    return Invalid("os-reset_status", Show(value) + " is not of type 'object'");
  IMAGEFS_RETURN_IF_ERROR(OnlyKeys(value.get_object(), "os-reset_status", {"status"}));
  const json::value* status = value.get_object().if_contains("status");
  std::string s = status != nullptr && status->is_string() ? std::string(status->get_string()) : "";
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s != "available" && s != "error") {
    return Invalid("status", "The status must be 'available' or 'error'.");
  }
  out.status = s;
  return out;
}

}  // namespace imagefs::service::backup
