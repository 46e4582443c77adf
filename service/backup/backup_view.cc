#include "service/backup/backup_view.h"

#include <boost/json/array.hpp>

#include "common/time_util.h"

namespace imagefs::service::backup {
namespace json = boost::json;

namespace {

constexpr int kProjectAttrVersion = 18;
constexpr int kMetadataVersion = 43;
constexpr int kUserIdVersion = 56;

json::value OptString(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

}  // namespace

json::array BackupLinks(const Backup& backup, const ViewContext& view) {
  std::string tail = "/" + view.project_id + "/backups/" + backup.id;
  std::string root = view.base_url + view.url_prefix;
  return json::array{json::object{{"rel", "self"}, {"href", root + "/v3" + tail}},
                     json::object{{"rel", "bookmark"}, {"href", root + tail}}};
}

json::object SummaryView(const Backup& backup, const ViewContext& view) {
  return json::object{
      {"id", backup.id}, {"name", OptString(backup.name)}, {"links", BackupLinks(backup, view)}};
}

json::object DetailView(const Backup& b, bool has_dependent_backups, const ViewContext& view) {
  json::object o;
  o["id"] = b.id;
  o["status"] = ToString(b.status);
  o["size"] = b.SizeGiB();
  o["object_count"] = b.object_count;
  o["availability_zone"] = OptString(b.availability_zone);
  o["container"] = b.container;
  o["created_at"] = FormatIsoMicros(b.created_at);
  o["updated_at"] = b.updated_at ? json::value(FormatIsoMicros(*b.updated_at)) : nullptr;
  o["name"] = OptString(b.name);
  o["description"] = OptString(b.description);
  o["fail_reason"] = OptString(b.fail_reason);
  o["volume_id"] = b.image_id;
  o["links"] = BackupLinks(b, view);
  o["is_incremental"] = b.is_incremental();
  o["has_dependent_backups"] = has_dependent_backups;
  o["snapshot_id"] = nullptr;
  o["data_timestamp"] = FormatIsoMicros(b.data_timestamp);
  if (view.minor >= kMetadataVersion) {
    json::object metadata;
    for (const auto& [k, v] : b.metadata) metadata[k] = v;
    o["metadata"] = std::move(metadata);
  }
  if (view.admin && view.minor >= kProjectAttrVersion) {
    o["os-backup-project-attr:project_id"] = b.project_id;
  }
  if (view.admin && view.minor >= kUserIdVersion) o["user_id"] = b.user_id;
  o["imagefs:size_bytes"] = b.size_bytes;
  o["imagefs:stored_bytes"] = b.stored_bytes;
  return o;
}

}  // namespace imagefs::service::backup
