#include "service/backup/backup_list.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>

#include "common/time_util.h"

namespace imagefs::service::backup {
namespace {

constexpr int kSortNameVersion = 37;       // sort by name
constexpr int kFilterCheckVersion = 31;    // unknown filters refused
constexpr int kWithCountVersion = 45;      // with_count
constexpr int64_t kDbMaxInt = 2147483647;  // Cinder's constants.DB_MAX_INT

constexpr std::array<std::string_view, 18> kColumns = {"id",
                                                       "project_id",
                                                       "user_id",
                                                       "display_name",
                                                       "display_description",
                                                       "status",
                                                       "fail_reason",
                                                       "volume_id",
                                                       "container",
                                                       "availability_zone",
                                                       "created_at",
                                                       "updated_at",
                                                       "data_timestamp",
                                                       "parent_id",
                                                       "snapshot_id",
                                                       "size",
                                                       "object_count",
                                                       "num_dependent_backups"};

using Params = std::map<std::string, std::string>;

// Python's int() of a query value: optional sign and surrounding blanks.
std::optional<int64_t> ParseInt(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// oslo strutils.is_valid_boolstr / bool_from_string(strict=True).
std::optional<bool> ParseBoolStr(std::string_view s) {
  std::string v = Lower(s);
  if (v == "1" || v == "t" || v == "true" || v == "on" || v == "y" || v == "yes") return true;
  if (v == "0" || v == "f" || v == "false" || v == "off" || v == "n" || v == "no") return false;
  return std::nullopt;
}

Status TakeLimit(Params& p, BackupListQuery& q) {
  auto it = p.find("limit");
  if (it == p.end()) return Status::Ok();
  std::optional<int64_t> v = ParseInt(it->second);
  if (!v) return InvalidArgument("limit param must be an integer");
  if (*v < 0) return InvalidArgument("limit param must be positive");
  q.limit = static_cast<size_t>(std::min<int64_t>(*v, static_cast<int64_t>(kMaxListLimit)));
  p.erase(it);
  return Status::Ok();
}

Status TakeOffset(Params& p, BackupListQuery& q) {
  auto it = p.find("offset");
  if (it == p.end()) return Status::Ok();
  std::optional<int64_t> v = ParseInt(it->second);
  if (!v) return InvalidArgument("offset must be an integer.");
  if (*v < 0) return InvalidArgument("offset must be >= 0");
  if (*v > kDbMaxInt) return InvalidArgument("offset must be <= " + std::to_string(kDbMaxInt));
  q.offset = static_cast<size_t>(*v);
  p.erase(it);
  return Status::Ok();
}

bool IsColumn(std::string_view key) {
  return std::find(kColumns.begin(), kColumns.end(), key) != kColumns.end();
}

// Cinder's get_sort_params followed by process_sort_params.
Status TakeSort(Params& p, int minor, BackupListQuery& q) {
  bool has_sort = p.count("sort") > 0;
  if (has_sort && (p.count("sort_key") > 0 || p.count("sort_dir") > 0)) {
    return InvalidArgument(
        "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the "
        "'sort' parameter.");
  }
  std::vector<std::pair<std::string, std::string>> keys;
  auto strip = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return std::string(s);
  };
  if (has_sort) {
    std::string_view spec = p["sort"];
    for (size_t start = 0; start <= spec.size();) {
      size_t comma = std::min(spec.find(',', start), spec.size());
      std::string_view item = spec.substr(start, comma - start);
      size_t colon = item.find(':');
      std::string dir = colon == std::string_view::npos ? "" : strip(item.substr(colon + 1));
      keys.emplace_back(strip(item.substr(0, colon)), dir.empty() ? "desc" : dir);
      start = comma + 1;
    }
  } else {
    keys.emplace_back(strip(p.count("sort_key") ? p["sort_key"] : "created_at"),
                      strip(p.count("sort_dir") ? p["sort_dir"] : "desc"));
  }
  p.erase("sort");
  p.erase("sort_key");
  p.erase("sort_dir");
  for (auto& [key, dir] : keys) {
    if (dir != "asc" && dir != "desc") {
      return InvalidArgument(
          "Invalid input received: Unknown sort direction, must be 'desc' or "
          "'asc'.");
    }
    if (key == "name" && minor >= kSortNameVersion) key = "display_name";
    if (!IsColumn(key) || key == "num_dependent_backups") {
      return InvalidArgument("Invalid input received: Invalid sort key");
    }
    q.sort.emplace_back(key, dir == "desc");
  }
  bool first_desc = q.sort.front().second;
  for (std::string_view tie : {"created_at", "id"}) {
    bool present =
        std::any_of(q.sort.begin(), q.sort.end(), [&](const auto& s) { return s.first == tie; });
    if (!present) q.sort.emplace_back(std::string(tie), first_desc);
  }
  return Status::Ok();
}

Status TakeWithCount(Params& p, int minor, BackupListQuery& q) {
  auto it = p.find("with_count");
  if (minor < kWithCountVersion || it == p.end()) return Status::Ok();
  std::optional<bool> v = ParseBoolStr(it->second);
  if (!v) return InvalidArgument("Value '" + it->second + "' for 'with_count' is not a boolean.");
  q.with_count = *v;
  p.erase(it);
  return Status::Ok();
}

bool NonAdminFilter(const std::string& key) {
  return key == "name" || key == "status" || key == "volume_id" || key == "image_id";
}

// The filter rules of the backups controller for non-admins (spec 4.3).
Status CheckFilters(Params& p, const BackupListParams& params) {
  if (params.admin) return Status::Ok();
  std::string invalid;
  for (auto it = p.begin(); it != p.end();) {
    if (NonAdminFilter(it->first)) {
      ++it;
    } else if (params.minor < kFilterCheckVersion || it->first == "all_tenants") {
      it = p.erase(it);  // silently dropped (all_tenants: cinderclient always sends it)
    } else {
      invalid += (invalid.empty() ? "" : ",") + it->first;
      ++it;
    }
  }
  if (!invalid.empty()) {
    return InvalidArgument("Invalid filters " + invalid + " are found in query options.");
  }
  return Status::Ok();
}

Status TakeFilters(Params& p, const BackupListParams& params, BackupListQuery& q) {
  if (params.minor >= kFilterCheckVersion) {
    for (const auto& [key, value] : p) {
      if (std::any_of(key.begin(), key.end(), [](char c) { return (c & 0x80) != 0; })) {
        return InvalidArgument("Filter keys can only contain ASCII characters.");
      }
    }
  }
  IMAGEFS_RETURN_IF_ERROR(CheckFilters(p, params));
  q.project = params.project;
  if (auto it = p.find("all_tenants"); it != p.end()) {
    std::optional<bool> all = ParseBoolStr(it->second);
    if (!all) return InvalidArgument("all_tenants must be a boolean, got '" + it->second + "'.");
    if (*all && params.admin) q.project.reset();
    p.erase(it);
  }
  for (const auto& [key, value] : p) {
    std::string column = key == "name" ? "display_name" : key == "image_id" ? "volume_id" : key;
    q.filters.emplace_back(column, value);
  }
  return Status::Ok();
}

// A value that orders as the column does; nullopt (a SQL NULL) sorts first.
std::optional<std::string> SortValue(const Backup& b, const std::string& column) {
  auto padded = [](uint64_t v) {
    std::string s = std::to_string(v);
    return std::string(20 - s.size(), '0') + s;
  };
  if (column == "size") return padded(b.SizeGiB());
  if (column == "object_count") return padded(b.object_count);
  return ColumnValue(b, column);
}

int CompareOn(const Backup& a, const Backup& b, const BackupListQuery& q) {
  for (const auto& [column, desc] : q.sort) {
    std::optional<std::string> va = SortValue(a, column);
    std::optional<std::string> vb = SortValue(b, column);
    if (va == vb) continue;
    bool less = !va || (vb && *va < *vb);
    return (less != desc) ? -1 : 1;
  }
  return 0;
}

}  // namespace

std::optional<std::string> ColumnValue(const Backup& b, const std::string& column) {
  if (column == "id") return b.id;
  if (column == "project_id") return b.project_id;
  if (column == "user_id") return b.user_id;
  if (column == "display_name") return b.name;
  if (column == "display_description") return b.description;
  if (column == "status") return std::string(ToString(b.status));
  if (column == "fail_reason") return b.fail_reason;
  if (column == "volume_id") return b.image_id;
  if (column == "container") return b.container;
  if (column == "availability_zone") return b.availability_zone;
  if (column == "created_at") return FormatIsoMicros(b.created_at);
  if (column == "updated_at") {
    return b.updated_at ? std::optional<std::string>(FormatIsoMicros(*b.updated_at)) : std::nullopt;
  }
  if (column == "data_timestamp") return FormatIsoMicros(b.data_timestamp);
  if (column == "parent_id") return b.parent_id;
  if (column == "size") return std::to_string(b.SizeGiB());
  if (column == "object_count") return std::to_string(b.object_count);
  return std::nullopt;  // snapshot_id (always NULL) and columns backups lack
}

Result<BackupListQuery> ParseBackupListQuery(
    const std::vector<std::pair<std::string, std::string>>& query, const BackupListParams& params) {
  Params p;
  for (const auto& [k, v] : query) p[k] = v;
  BackupListQuery q;
  IMAGEFS_RETURN_IF_ERROR(TakeLimit(p, q));
  if (auto it = p.find("marker"); it != p.end()) {
    q.marker = it->second;
    p.erase(it);
  }
  IMAGEFS_RETURN_IF_ERROR(TakeOffset(p, q));
  IMAGEFS_RETURN_IF_ERROR(TakeSort(p, params.minor, q));
  IMAGEFS_RETURN_IF_ERROR(TakeWithCount(p, params.minor, q));
  IMAGEFS_RETURN_IF_ERROR(TakeFilters(p, params, q));
  return q;
}

Result<BackupListPage> RunBackupList(std::vector<Backup> all, const BackupListQuery& q) {
  if (q.project) {
    std::erase_if(all, [&](const Backup& b) { return b.project_id != *q.project; });
  }
  std::optional<Backup> marker;
  if (q.marker) {
    auto it =
        std::find_if(all.begin(), all.end(), [&](const Backup& b) { return b.id == *q.marker; });
    if (it == all.end()) return NotFound("Backup " + *q.marker + " could not be found.");
    marker = *it;
  }
  std::erase_if(all, [&](const Backup& b) {
    for (const auto& [column, value] : q.filters) {
      if (ColumnValue(b, column) != value) return true;
    }
    return false;
  });
  std::sort(all.begin(), all.end(),
            [&](const Backup& a, const Backup& b) { return CompareOn(a, b, q) < 0; });
  BackupListPage page;
  page.total = all.size();
  size_t start = 0;
  if (marker) {
    while (start < all.size() && CompareOn(all[start], *marker, q) <= 0) ++start;
  }
  start = std::min(all.size(), start + std::min(q.offset, all.size()));
  size_t end = std::min(all.size(), start + q.limit);
  page.backups.assign(std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(start)),
                      std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(end)));
  return page;
}

}  // namespace imagefs::service::backup
