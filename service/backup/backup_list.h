// Listing backups as Cinder does (spec 4.3, calls 1 and 2): the query string's
// paging, sorting and filter rules per microversion, and their evaluation over the
// catalog's records. Pure functions; the API layer renders the result.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "service/backup/backup.h"

namespace imagefs::service::backup {

// Cinder's osapi_max_limit: the default and largest page.
inline constexpr size_t kMaxListLimit = 1000;

struct BackupListQuery {
  // Exact-match filters on record columns ("display_name", "status",
  // "volume_id", ... for admins any column; see ColumnValue).
  std::vector<std::pair<std::string, std::string>> filters;
  // Sort columns with their direction (true: descending); created_at and id are
  // appended as tie-breakers when absent, so the order is total.
  std::vector<std::pair<std::string, bool>> sort;
  std::optional<std::string> marker;
  size_t offset = 0;
  size_t limit = kMaxListLimit;
  bool with_count = false;
  // The project whose backups are listed; nullopt: every project (admin,
  // all_tenants).
  std::optional<std::string> project;
};

struct BackupListParams {
  int minor = 0;  // microversion 3.<minor>
  bool admin = false;
  std::string project;  // the caller's
};

// Parses the query as Cinder's backups controller does: limit (integer >= 0,
// capped at kMaxListLimit), offset, marker, sort / sort_key+sort_dir (not both;
// name from 3.37), with_count (from 3.45), all_tenants (admin), and the rest as
// filters: non-admins may use name, status and volume_id (imagefs also takes
// image_id as volume_id); from 3.31 other keys are refused, before they are
// dropped. InvalidArgument with Cinder's message on any violation.
Result<BackupListQuery> ParseBackupListQuery(
    const std::vector<std::pair<std::string, std::string>>& query, const BackupListParams& params);

struct BackupListPage {
  std::vector<Backup> backups;
  size_t total = 0;  // matches before the marker, offset and limit
};

// Filters, sorts and pages `all`. NotFound ("Backup <id> could not be found.")
// when the marker is not among the backups in scope.
Result<BackupListPage> RunBackupList(std::vector<Backup> all, const BackupListQuery& query);

// The value of a record column as a filter compares it; nullopt for a column
// backups do not have (an admin filter on it matches nothing, as in Cinder).
std::optional<std::string> ColumnValue(const Backup& backup, const std::string& column);

}  // namespace imagefs::service::backup
