// FakeImaged's PATCH /v2/images/{id}: Glance's v2.1 JSON-patch rules for the fields
// the mount writes (see the Glance transcript, PATCH section).
#include <boost/json.hpp>

#include "common/wire/image_codec.h"
#include "tests/testing/fs/fake_imaged.h"

namespace imagefs::fstest {
namespace {

namespace json = boost::json;

std::string Unescape(std::string_view token) {
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out += token[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

bool IsReadOnly(const std::string& key) {
  static const char* kReadOnly[] = {"id",         "status",       "size",          "virtual_size",
                                    "checksum",   "os_hash_algo", "os_hash_value", "owner",
                                    "created_at", "updated_at",   "self",          "file",
                                    "schema",     "direct_url",   "locations",     "stores"};
  for (const char* k : kReadOnly) {
    if (key == k) return true;
  }
  return false;
}

// Applies one replace/add of a core field; returns the HTTP status on refusal (0 = ok).
int SetCoreField(wire::Image& img, const std::string& key, const json::value& v) {
  if (IsReadOnly(key)) return 403;
  if (key == "name") {
    if (v.is_null()) {
      img.name.reset();
    } else if (v.is_string()) {
      img.name = std::string(v.get_string());
    } else {
      return 400;
    }
  } else if (key == "visibility") {
    auto vis = v.is_string() ? wire::ParseVisibility(v.get_string()) : std::nullopt;
    if (!vis) return 400;
    img.visibility = *vis;
  } else if (key == "protected" || key == "os_hidden") {
    if (!v.is_bool()) return 400;
    (key == "protected" ? img.is_protected : img.os_hidden) = v.get_bool();
  } else if (key == "min_ram" || key == "min_disk") {
    if (!v.is_int64() || v.get_int64() < 0) return 400;
    (key == "min_ram" ? img.min_ram : img.min_disk) = v.get_int64();
  } else if (key == "tags") {
    if (!v.is_array()) return 400;
    img.tags.clear();
    for (const auto& t : v.get_array()) {
      if (!t.is_string()) return 400;
      if (!img.HasTag(t.get_string())) img.tags.emplace_back(t.get_string());
    }
  } else if (key == "disk_format" || key == "container_format") {
    if (img.status != wire::ImageStatus::kQueued) return 403;
    if (!v.is_string()) return 400;
    (key == "disk_format" ? img.disk_format : img.container_format) = std::string(v.get_string());
  }
  return 0;
}

int ApplyOp(wire::Image& img, const json::object& op) {
  auto get = [&](const char* k) -> const json::value* {
    auto it = op.find(k);
    return it == op.end() ? nullptr : &it->value();
  };
  const json::value* kind = get("op");
  const json::value* path = get("path");
  if (kind == nullptr || path == nullptr || !kind->is_string() || !path->is_string()) return 400;
  std::string_view p = path->get_string();
  if (p.empty() || p[0] != '/' || p.find('/', 1) != std::string_view::npos) return 400;
  std::string key = Unescape(p.substr(1));
  std::string_view k = kind->get_string();
  bool core = wire::IsBaseProperty(key);
  if (k == "remove") {
    if (core) return 403;
    return img.properties.erase(key) == 1 ? 0 : 409;
  }
  const json::value* value = get("value");
  if ((k != "add" && k != "replace") || value == nullptr) return 400;
  if (core) return SetCoreField(img, key, *value);
  if (k == "replace" && img.properties.count(key) == 0) return 409;
  if (!value->is_string()) return 400;
  img.properties[key] = std::string(value->get_string());
  return 0;
}

}  // namespace

HttpResponse FakeImaged::Patch(const std::string& id, const HttpRequest& req) {
  if (req.Header("content-type") != "application/openstack-images-v2.1-json-patch") {
    return JsonError(415, "Unsupported Content-Type");
  }
  auto body = wire::ParseJson(req.body);
  if (!body.ok() || !body->is_array()) return JsonError(400, "Malformed JSON patch");
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return JsonError(404, "No image found with ID " + id);
  wire::Image copy = it->second.image;
  for (const auto& op : body->get_array()) {
    int status = op.is_object() ? ApplyOp(copy, op.get_object()) : 400;
    if (status != 0) {
      return JsonError(status, status == 403 ? "Attribute is read-only." : "Patch refused.");
    }
  }
  copy.updated_at = NextTime();
  it->second.image = copy;
  HttpResponse r;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = wire::SerializeV2Image(copy);
  return r;
}

}  // namespace imagefs::fstest
