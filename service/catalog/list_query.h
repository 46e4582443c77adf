// ListQuery: a parsed GET /v2/images (or v1 list) request, evaluated by Catalog::ListImages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/identity.h"

namespace imagefs::service {

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded, in order

struct ListFilter {
  enum class Op { kEq, kNeq, kIn, kGt, kGte, kLt, kLte };
  // A base column ("name", "id", "status", "container_format", "disk_format", "owner",
  // "size", "virtual_size", "min_ram", "min_disk", "checksum", "os_hash_value",
  // "created_at", "updated_at", ...) or else a custom property name.
  std::string key;
  Op op = Op::kEq;
  std::vector<std::string> values;  // one value, several for kIn
  int64_t time = 0;                 // created_at/updated_at: the parsed time (microseconds)
};

struct SortKey {
  std::string key;  // name, status, container_format, disk_format, size, id, created_at, updated_at
  bool ascending = false;
};

struct ListQuery {
  Identity caller;
  // Shared images of other projects are listed when the caller's membership has this
  // status; nullopt means any status ("member_status=all"). Default: accepted.
  std::optional<wire::MemberStatus> member_status = wire::MemberStatus::kAccepted;
  // nullopt: the default rule (everything the caller may list, minus other projects'
  // community images). `visibility_all`: no visibility post-filter at all.
  std::optional<wire::Visibility> visibility;
  bool visibility_all = false;
  // false: hidden images are left out; true: only hidden images are listed.
  bool os_hidden = false;
  // v1 lists do not know os_hidden and list hidden images too.
  bool ignore_os_hidden = false;
  std::optional<bool> is_protected;
  std::vector<std::string> tags;  // every one must be present
  std::optional<int64_t> size_min;
  std::optional<int64_t> size_max;
  std::vector<ListFilter> filters;
  // As requested; ListImages appends created_at and id (descending) as tie-breakers
  // when absent. Empty: created_at desc, id desc.
  std::vector<SortKey> sort;
  std::optional<std::string> marker;  // id of the last image of the previous page
  size_t limit = 25;
  // v1 changes-since: also list deleted images updated at or after this time.
  std::optional<int64_t> changes_since;
};

struct ListLimits {
  size_t default_limit = 25;  // limit_param_default
  size_t max_limit = 1000;    // api_limit_max: larger limits are silently capped
};

// Appends the tie-breakers created_at and id, in that order, each only when absent,
// with direction `ascending`. Glance gives them the request's direction when the
// request named exactly one direction (`sort=name:asc`, `sort_key=a&sort_key=b&
// sort_dir=asc`), and desc otherwise; ParseV2ListQuery does this, and a v1 list
// with its single sort_key/sort_dir should too.
void AppendSortTieBreakers(std::vector<SortKey>& sort, bool ascending);

// Parses the query parameters of GET /v2/images (spec 1.6) for `caller`.
// InvalidArgument, with a message a user can act on, for any bad parameter:
// non-integer or negative limit, bad member_status/visibility/os_hidden/protected,
// changes-since, unknown sort keys or directions, mixed sort syntaxes, mismatched
// sort_dir counts, malformed `in:` lists, bad time operators or times, bad size bounds.
Result<ListQuery> ParseV2ListQuery(const QueryParams& params, const Identity& caller,
                                   const ListLimits& limits = {});

}  // namespace imagefs::service
