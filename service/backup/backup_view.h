// The JSON views of backups in the Block Storage v3 API (Cinder's view builders,
// spec 4.2): summary {id, name, links}, detail (per microversion), the restore
// summary and the export record. Pure functions of their inputs.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "service/backup/backup.h"

namespace imagefs::service::backup {

struct ViewContext {
  // The request's scheme and host ("http://127.0.0.1:9292") and any path before
  // /v3 ("/volume"), for links.
  std::string base_url;
  std::string url_prefix;
  std::string project_id;  // the project in the request's URL
  int minor = 0;           // microversion 3.<minor>
  bool admin = false;      // passes backup:backup_project_attribute
};

// [{"rel": "self", "href": <base>/v3/<project>/backups/<id>},
//  {"rel": "bookmark", "href": <base>/<project>/backups/<id>}]
boost::json::array BackupLinks(const Backup& backup, const ViewContext& view);

boost::json::object SummaryView(const Backup& backup, const ViewContext& view);

// Cinder's detail keys; metadata from 3.43; the project (3.18) and user_id (3.56)
// for admins; plus the imagefs extensions "imagefs:size_bytes" (exact bytes) and
// "imagefs:stored_bytes" (bytes of blocks this backup added to its container).
boost::json::object DetailView(const Backup& backup, bool has_dependent_backups,
                               const ViewContext& view);

}  // namespace imagefs::service::backup
