#include "fs/backup_json.h"

#include <boost/json.hpp>

#include "common/time_util.h"
#include "common/wire/image_codec.h"

namespace imagefs::fs {
namespace json = boost::json;
namespace {

// The text of a scalar JSON value; nullopt for null, objects and arrays.
std::optional<std::string> ScalarText(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::bool_:
      return std::string(v.get_bool() ? "true" : "false");
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return json::serialize(v);
    default:
      return std::nullopt;
  }
}

int64_t TimeField(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return 0;
  auto t = ParseIso(std::string_view(it->value().get_string()));
  return t.ok() ? *t : 0;
}

Result<BackupInfo> BackupFrom(const json::value& v) {
  if (!v.is_object()) return InvalidArgument("backup is not an object");
  const json::object& o = v.get_object();
  BackupInfo b;
  for (const auto& [key, value] : o) {
    if (auto text = ScalarText(value)) b.fields.emplace(std::string(key), std::move(*text));
  }
  if (auto it = o.find("metadata"); it != o.end() && it->value().is_object()) {
    for (const auto& [key, value] : it->value().get_object()) {
      if (auto text = ScalarText(value)) b.fields.emplace("metadata-" + std::string(key), *text);
    }
  }
  auto field = [&](const char* key) -> std::string {
    auto it = b.fields.find(key);
    return it == b.fields.end() ? std::string() : it->second;
  };
  b.id = field("id");
  if (b.id.empty()) return InvalidArgument("backup without id");
  if (auto it = o.find("name"); it != o.end() && it->value().is_string()) {
    b.name = std::string(it->value().get_string());
  }
  b.status = field("status");
  b.image_id = field("volume_id");
  b.has_dependents = field("has_dependent_backups") == "true";
  if (auto it = o.find("imagefs:size_bytes"); it != o.end() && it->value().is_number()) {
    b.size_bytes = it->value().to_number<uint64_t>();
  }
  b.updated_us = TimeField(o, "updated_at");
  if (b.updated_us == 0) b.updated_us = TimeField(o, "created_at");
  return b;
}

Result<json::object> ParseObject(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, wire::ParseJson(text));
  if (!v.is_object()) return InvalidArgument("answer is not a JSON object");
  return std::move(v.get_object());
}

}  // namespace

Result<BackupInfo> ParseBackupDetail(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object o, ParseObject(text));
  auto it = o.find("backup");
  if (it == o.end()) return InvalidArgument("no backup in the answer");
  return BackupFrom(it->value());
}

Result<BackupPage> ParseBackupPage(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object o, ParseObject(text));
  auto it = o.find("backups");
  if (it == o.end() || !it->value().is_array()) return InvalidArgument("no backups array");
  BackupPage page;
  for (const json::value& v : it->value().get_array()) {
    IMAGEFS_ASSIGN_OR_RETURN(BackupInfo b, BackupFrom(v));
    page.backups.push_back(std::move(b));
  }
  if (auto links = o.find("backups_links"); links != o.end() && links->value().is_array()) {
    for (const json::value& l : links->value().get_array()) {
      if (!l.is_object()) continue;
      const json::object& lo = l.get_object();
      auto rel = lo.find("rel");
      auto href = lo.find("href");
      if (rel != lo.end() && href != lo.end() && rel->value() == "next" &&
          href->value().is_string()) {
        page.next = std::string(href->value().get_string());
      }
    }
  }
  return page;
}

Result<std::string> ParseCreatedBackupId(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object o, ParseObject(text));
  const json::value* id = o.contains("backup") && o.at("backup").is_object()
                              ? o.at("backup").get_object().if_contains("id")
                              : nullptr;
  if (id == nullptr || !id->is_string()) return InvalidArgument("no backup id in the answer");
  return std::string(id->get_string());
}

Result<std::string> ParseRestoredImageId(std::string_view text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object o, ParseObject(text));
  const json::value* id = o.contains("restore") && o.at("restore").is_object()
                              ? o.at("restore").get_object().if_contains("volume_id")
                              : nullptr;
  if (id == nullptr || !id->is_string()) return InvalidArgument("no image id in the answer");
  return std::string(id->get_string());
}

std::string CreateBackupBody(const std::string& image_id, const std::string& name) {
  return json::serialize(json::object{{"backup", {{"volume_id", image_id}, {"name", name}}}});
}

std::string RestoreBackupBody(const std::string& name) {
  return json::serialize(json::object{{"restore", {{"name", name}}}});
}

}  // namespace imagefs::fs
