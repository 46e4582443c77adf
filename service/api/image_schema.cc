#include "service/api/image_schema.h"

#include <boost/json.hpp>

#include <vector>

#include "common/uuid.h"
#include "common/wire/image.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kUuidPattern =
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

enum Type : unsigned { kString = 1, kNull = 2, kInteger = 4, kBoolean = 8, kArray = 16, kObject = 32 };

struct Property {
  std::string_view name;
  unsigned types = kString;
  std::string_view description;
  int max_length = 0;                    // strings (and tag items)
  bool uuid = false;                     // string must match kUuidPattern
  bool read_only = false;
  bool is_base = true;                   // false: a typed custom property
  std::vector<std::string> enumeration;  // allowed strings ("" stands for null)

  Property MaxLength(int n) const { Property p = *this; p.max_length = n; return p; }
  Property Uuid() const { Property p = *this; p.uuid = true; return p; }
  Property ReadOnly() const { Property p = *this; p.read_only = true; return p; }
  Property Custom() const { Property p = *this; p.is_base = false; return p; }
  Property Enum(std::vector<std::string> e) const { Property p = *this; p.enumeration = std::move(e); return p; }
};

Property P(std::string_view name, unsigned types, std::string_view description) {
  Property p;
  p.name = name;
  p.types = types;
  p.description = description;
  return p;
}

const std::vector<Property>& ImageProperties() {
  static const std::vector<Property> kProps = [] {
    std::vector<std::string> disk = {""};
    for (const auto& f : wire::KnownDiskFormats()) disk.push_back(f);
    std::vector<std::string> container = {""};
    for (const auto& f : wire::KnownContainerFormats()) container.push_back(f);
    return std::vector<Property>{
        P("id", kString, "The image's UUID").Uuid(),
        P("name", kString | kNull, "A human-readable name for the image").MaxLength(255),
        P("status", kString, "Where the image is in its lifecycle").ReadOnly().Enum(
            {"queued", "saving", "active", "killed", "deleted", "uploading", "importing",
             "pending_delete", "deactivated"}),
        P("visibility", kString, "Who can see the image")
            .Enum({"community", "public", "private", "shared"}),
        P("protected", kBoolean, "When true, the image cannot be deleted"),
        P("os_hidden", kBoolean, "When true, the image is left out of default lists"),
        P("checksum", kString | kNull, "MD5 of the image data").MaxLength(32).ReadOnly(),
        P("os_hash_algo", kString | kNull, "Algorithm of os_hash_value").MaxLength(64).ReadOnly(),
        P("os_hash_value", kString | kNull, "Hex digest of the image data").MaxLength(128).ReadOnly(),
        P("owner", kString | kNull, "The project that owns the image").MaxLength(255),
        P("size", kInteger | kNull, "Bytes of image data").ReadOnly(),
        P("virtual_size", kInteger | kNull, "Bytes of the virtual disk").ReadOnly(),
        P("container_format", kString | kNull, "Container format of the data").Enum(container),
        P("disk_format", kString | kNull, "Disk format of the data").Enum(disk),
        P("created_at", kString, "When the image was created").ReadOnly(),
        P("updated_at", kString, "When the image last changed").ReadOnly(),
        P("tags", kArray, "Free-form labels of the image").MaxLength(255),
        P("direct_url", kString, "URL of the data in its store").ReadOnly(),
        P("min_ram", kInteger, "RAM (MB) needed to boot the image"),
        P("min_disk", kInteger, "Disk (GB) needed to boot the image"),
        P("self", kString, "URL of the image").ReadOnly(),
        P("file", kString, "URL of the image data").ReadOnly(),
        P("stores", kString, "Stores holding the data, comma-separated").ReadOnly(),
        P("schema", kString, "URL of this schema").ReadOnly(),
        P("locations", kArray, "Locations of the image data"),
        P("kernel_id", kString | kNull, "Image of the kernel for AMI images").Uuid().Custom(),
        P("ramdisk_id", kString | kNull, "Image of the ramdisk for AMI images").Uuid().Custom(),
        P("instance_uuid", kString, "Server the image was taken from").Custom(),
        P("architecture", kString, "CPU architecture the image needs").Custom(),
        P("os_distro", kString, "Operating system distribution").Custom(),
        P("os_version", kString, "Operating system version").Custom(),
        P("description", kString, "A description of the image").Custom(),
        P("cinder_encryption_key_id", kString, "Key of an encrypted volume image").Custom(),
        P("cinder_encryption_key_deletion_policy", kString,
          "Whether the key goes when the image goes")
            .Custom()
            .Enum({"on_image_deletion", "do_not_delete"}),
    };
  }();
  return kProps;
}

const Property* FindProperty(std::string_view key) {
  for (const auto& p : ImageProperties()) {
    if (p.name == key) return &p;
  }
  return nullptr;
}

json::value TypeJson(unsigned types) {
  json::array a;
  if (types & kNull) a.emplace_back("null");
  if (types & kString) a.emplace_back("string");
  if (types & kInteger) a.emplace_back("integer");
  if (types & kBoolean) a.emplace_back("boolean");
  if (types & kArray) a.emplace_back("array");
  if (types & kObject) a.emplace_back("object");
  if (a.size() == 1) return a[0];
  return a;
}

json::object LocationsJson() {
  json::object validation{
      {"type", "object"},
      {"writeOnly", true},
      {"additionalProperties", false},
      {"properties",
       {{"checksum", {{"type", "string"}, {"minLength", 32}, {"maxLength", 32}}},
        {"os_hash_algo", {{"type", "string"}, {"maxLength", 64}}},
        {"os_hash_value", {{"type", "string"}, {"maxLength", 128}}}}},
      {"required", {"os_hash_algo", "os_hash_value"}}};
  return json::object{
      {"type", "array"},
      {"items",
       {{"type", "object"},
        {"properties",
         {{"url", {{"type", "string"}, {"maxLength", 255}}},
          {"metadata", {{"type", "object"}}},
          {"validation_data", std::move(validation)}}},
        {"required", {"url", "metadata"}}}}};
}

json::object PropertyJson(const Property& p) {
  if (p.name == "locations") {
    json::object o = LocationsJson();
    o["description"] = p.description;
    return o;
  }
  json::object o;
  o["type"] = TypeJson(p.types);
  o["description"] = p.description;
  if (p.read_only) o["readOnly"] = true;
  if (p.max_length > 0 && p.name != "tags") o["maxLength"] = p.max_length;
  if (p.uuid) o["pattern"] = kUuidPattern;
  if (p.name == "tags") o["items"] = {{"type", "string"}, {"maxLength", 255}};
  if (!p.enumeration.empty()) {
    json::array e;
    for (const auto& v : p.enumeration) {
      if (v.empty()) {
        e.emplace_back(nullptr);
      } else {
        e.emplace_back(v);
      }
    }
    o["enum"] = std::move(e);
  }
  if (!p.is_base) o["is_base"] = false;
  return o;
}

std::string Describe(const json::value& v) {
  if (v.is_string()) return "'" + std::string(v.get_string()) + "'";
  return json::serialize(v);
}

Status SchemaError(const json::value& v, std::string_view what) {
  return InvalidArgument("Provided object does not match schema 'image': " + Describe(v) + " " +
                         std::string(what));
}

Status CheckType(const json::value& v, unsigned types) {
  if (v.is_null() && (types & kNull)) return Status::Ok();
  if (v.is_string() && (types & kString)) return Status::Ok();
  if ((v.is_int64() || v.is_uint64()) && (types & kInteger)) return Status::Ok();
  if (v.is_bool() && (types & kBoolean)) return Status::Ok();
  if (v.is_array() && (types & kArray)) return Status::Ok();
  if (v.is_object() && (types & kObject)) return Status::Ok();
  std::string want = json::serialize(TypeJson(types & ~kNull));
  if (want.size() > 1 && want.front() == '"') want = "'" + want.substr(1, want.size() - 2) + "'";
  return SchemaError(v, "is not of type " + want);
}

Status CheckString(const Property& p, const json::value& v) {
  if (!v.is_string()) return Status::Ok();
  std::string_view s = v.get_string();
  if (p.max_length > 0 && s.size() > static_cast<size_t>(p.max_length)) {
    return SchemaError(v, "is too long");
  }
  if (p.uuid && !IsUuid(s)) return SchemaError(v, "does not match '" + std::string(kUuidPattern) + "'");
  if (!p.enumeration.empty()) {
    bool found = false;
    for (const auto& e : p.enumeration) found = found || (!e.empty() && e == s);
    if (!found) return SchemaError(v, "is not one of the allowed values");
  }
  return Status::Ok();
}

// A paged collection's schema, as Glance writes them: `name` holds an array of
// `items`, beside schema, first and next, with the three links.
json::value CollectionSchema(std::string_view name, json::value items) {
  return json::object{
      {"name", name},
      {"properties",
       {{name, {{"type", "array"}, {"items", std::move(items)}}},
        {"schema", {{"type", "string"}}},
        {"first", {{"type", "string"}}},
        {"next", {{"type", "string"}}}}},
      {"links",
       {{{"rel", "first"}, {"href", "{first}"}},
        {{"rel", "next"}, {"href", "{next}"}},
        {{"rel", "describedby"}, {"href", "{schema}"}}}}};
}

}  // namespace

Status ValidateProperty(std::string_view key, const json::value& value) {
  const Property* p = FindProperty(key);
  if (p == nullptr) {
    // Untyped custom property: additionalProperties {"type": "string"}.
    if (!value.is_string()) return SchemaError(value, "is not of type 'string'");
    return Status::Ok();
  }
  IMAGEFS_RETURN_IF_ERROR(CheckType(value, p->types));
  if (value.is_null() && !p->enumeration.empty() && p->enumeration.front().empty()) {
    return Status::Ok();
  }
  if (p->name == "tags") {
    for (const auto& t : value.get_array()) {
      if (!t.is_string()) return SchemaError(t, "is not of type 'string'");
      if (t.get_string().size() > 255) return SchemaError(t, "is too long");
    }
    return Status::Ok();
  }
  return CheckString(*p, value);
}

bool IsReadOnlyProperty(std::string_view key) {
  const Property* p = FindProperty(key);
  return (p != nullptr && p->read_only) || key == "id";
}

bool IsReservedProperty(std::string_view key) {
  return key == "location" || key == "deleted" || key == "deleted_at" ||
         key.substr(0, 9) == "os_glance";
}

json::value ImageSchema(bool multi_store) {
  json::object props;
  for (const auto& p : ImageProperties()) {
    if (p.name == "stores" && !multi_store) continue;
    props[p.name] = PropertyJson(p);
  }
  return json::object{{"name", "image"},
                      {"properties", std::move(props)},
                      {"additionalProperties", {{"type", "string"}}},
                      {"links",
                       {{{"rel", "self"}, {"href", "{self}"}},
                        {{"rel", "enclosure"}, {"href", "{file}"}},
                        {{"rel", "describedby"}, {"href", "{schema}"}}}}};
}

json::value ImagesSchema(bool multi_store) {
  return CollectionSchema("images", ImageSchema(multi_store));
}

json::value MemberSchema() {
  return json::object{
      {"name", "member"},
      {"properties",
       {{"member_id", {{"type", "string"}, {"description", "Project the image is shared with"}}},
        {"image_id",
         {{"type", "string"}, {"description", "The shared image"}, {"pattern", kUuidPattern}}},
        {"created_at", {{"type", "string"}, {"description", "When the membership was created"}}},
        {"updated_at", {{"type", "string"}, {"description", "When the membership last changed"}}},
        {"status",
         {{"type", "string"},
          {"description", "The member's answer to the share"},
          {"enum", {"pending", "accepted", "rejected"}}}},
        {"schema", {{"readOnly", true}, {"type", "string"}}}}}};
}

json::value MembersSchema() {
  return json::object{{"name", "members"},
                      {"properties",
                       {{"members", {{"type", "array"}, {"items", MemberSchema()}}},
                        {"schema", {{"type", "string"}}}}},
                      {"links", {{{"rel", "describedby"}, {"href", "{schema}"}}}}};
}

namespace {

json::object TaskProperties(bool full) {
  json::object p{
      {"id", {{"type", "string"}, {"description", "The task's UUID"}, {"pattern", kUuidPattern}}},
      {"type",
       {{"type", "string"},
        {"description", "What the task does"},
        {"enum", {"import", "api_image_import", "location_import"}}}},
      {"status",
       {{"type", "string"},
        {"description", "Where the task is"},
        {"enum", {"pending", "processing", "success", "failure"}}}},
      {"owner", {{"type", "string"}, {"description", "Project that owns the task"}}},
      {"image_id", {{"type", "string"}, {"description", "Image the task works on"}}},
      {"request_id", {{"type", "string"}, {"description", "Request that started the task"}}},
      {"user_id", {{"type", "string"}, {"description", "User that started the task"}}},
      {"expires_at",
       {{"type", {"null", "string"}}, {"description", "When the task record may be removed"}}},
      {"created_at", {{"type", "string"}, {"description", "When the task was created"}}},
      {"updated_at", {{"type", "string"}, {"description", "When the task last changed"}}},
      {"self", {{"readOnly", true}, {"type", "string"}}},
      {"schema", {{"readOnly", true}, {"type", "string"}}}};
  if (full) {
    p["input"] = {{"type", {"null", "object"}}, {"description", "The task's parameters"}};
    p["result"] = {{"type", {"null", "object"}}, {"description", "What the task produced"}};
    p["message"] = {{"type", "string"}, {"description", "Why the task failed, if it did"}};
  }
  return p;
}

}  // namespace

json::value TaskSchema() {
  return json::object{{"name", "task"},
                      {"properties", TaskProperties(true)},
                      {"links",
                       {{{"rel", "self"}, {"href", "{self}"}},
                        {{"rel", "describedby"}, {"href", "{schema}"}}}}};
}

json::value TasksSchema() {
  return CollectionSchema("tasks",
                          json::object{{"name", "task"}, {"properties", TaskProperties(false)}});
}

}  // namespace imagefs::service::api
