// ParseV2ListQuery: the query string of GET /v2/images, parsed as Glance (Zed) does
// in glance/api/v2/images.py and glance/common/utils.py.
//
// A parameter given twice keeps its last value, except `tag` (every value, AND),
// `sort_key` and `sort_dir` (repeatable lists).
#include "service/catalog/list_query.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>

#include "common/time_util.h"

namespace imagefs::service {
namespace {

constexpr std::string_view kSortKeys[] = {"name", "status", "container_format", "disk_format",
                                          "size", "id",     "created_at",       "updated_at"};
constexpr std::string_view kWhitespace = " \t\n\r\f\v";

std::string_view Strip(std::string_view s) {
  size_t first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kWhitespace) - first + 1);
}

// Python's int(s) for plain decimal integers: surrounding whitespace and a sign are
// allowed; values beyond int64 saturate.
std::optional<int64_t> ParsePythonInt(std::string_view s) {
  s = Strip(s);
  bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (ec == std::errc::result_out_of_range || magnitude > kMax) magnitude = kMax;
  auto value = static_cast<int64_t>(magnitude);
  return negative ? -value : value;
}

struct CollectedParams {
  std::vector<std::pair<std::string, std::string>> singles;  // first-seen order, last value
  std::vector<std::string> tags;
  std::vector<std::string> sort_keys;
  std::vector<std::string> sort_dirs;
};

CollectedParams Collect(const QueryParams& params) {
  CollectedParams out;
  for (const auto& [key, value] : params) {
    if (key == "tag") {
      out.tags.push_back(value);
    } else if (key == "sort_key") {
      out.sort_keys.push_back(value);
    } else if (key == "sort_dir") {
      out.sort_dirs.push_back(value);
    } else {
      auto it = std::find_if(out.singles.begin(), out.singles.end(),
                             [&key](const auto& p) { return p.first == key; });
      if (it != out.singles.end()) {
        it->second = value;
      } else {
        out.singles.emplace_back(key, value);
      }
    }
  }
  return out;
}

// glance.common.utils.split_filter_op: "op:threshold", or "eq" for a value without
// ':' or one that parses whole as an ISO 8601 time.
std::pair<std::string_view, std::string_view> SplitFilterOp(std::string_view value) {
  size_t colon = value.find(':');
  if (colon == std::string_view::npos || ParseIso(value).ok()) return {"eq", value};
  return {value.substr(0, colon), value.substr(colon + 1)};
}

// glance.common.utils.validate_quotes.
Status ValidateQuotes(std::string_view value) {
  auto bad = [value](std::string_view why) {
    return InvalidArgument("Invalid filter value " + std::string(value) + ". " + std::string(why));
  };
  bool opening = true;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '"') continue;
    if (i > 0 && value[i - 1] == '\\') continue;
    if (opening && i > 0 && value[i - 1] != ',') {
      return bad("There is no comma before opening quotation mark.");
    }
    if (!opening && i + 1 != value.size() && value[i + 1] != ',') {
      return bad("There is no comma after closing quotation mark.");
    }
    opening = !opening;
  }
  if (!opening) return bad("The quote is not closed.");
  return Status::Ok();
}

// The length of a quoted member starting at value[0] == '"' (quotes included), or
// 0 when it does not close. Backslash escapes are kept verbatim, as Glance does.
size_t QuotedLength(std::string_view value) {
  size_t i = 1;
  while (i < value.size() && value[i] != '"') i += value[i] == '\\' ? 2 : 1;
  return i < value.size() ? i + 1 : 0;
}

// glance.common.utils.split_filter_value_for_quotes: the members of an `in:` list.
Result<std::vector<std::string>> SplitInList(std::string_view value) {
  IMAGEFS_RETURN_IF_ERROR(ValidateQuotes(value));
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < value.size()) {
    std::string_view rest = value.substr(pos);
    size_t quoted = rest.front() == '"' ? QuotedLength(rest) : 0;
    if (quoted > 0) {
      out.emplace_back(rest.substr(1, quoted - 2));
      pos += quoted;
    } else if (rest.front() == ',') {
      out.emplace_back();
      pos += 1;
      continue;
    } else {
      size_t comma = std::min(rest.find(','), rest.size());
      out.emplace_back(rest.substr(0, comma));
      pos += comma;
    }
    if (pos < value.size() && value[pos] == ',') ++pos;  // the member's own comma
  }
  return out;
}

Result<ListFilter> ParseTimeFilter(const std::string& key, std::string_view value) {
  static constexpr std::pair<std::string_view, ListFilter::Op> kOps[] = {
      {"gt", ListFilter::Op::kGt},   {"gte", ListFilter::Op::kGte}, {"lt", ListFilter::Op::kLt},
      {"lte", ListFilter::Op::kLte}, {"eq", ListFilter::Op::kEq},   {"neq", ListFilter::Op::kNeq}};
  auto [op, threshold] = SplitFilterOp(value);
  Result<int64_t> time = ParseIso(threshold);
  if (!time.ok()) {
    return InvalidArgument("Bad \"" + key +
                           "\" query filter format. Use ISO 8601 DateTime notation.");
  }
  for (const auto& [name, parsed] : kOps) {
    if (name == op) return ListFilter{key, parsed, {std::string(threshold)}, *time};
  }
  return InvalidArgument("Unable to filter on a unknown operator.");
}

// name, id, status, container_format, disk_format: "value", "eq:value", "in:a,b".
Result<ListFilter> ParseColumnFilter(const std::string& key, std::string_view value) {
  auto [op, operand] = SplitFilterOp(value);
  if (op == "eq") return ListFilter{key, ListFilter::Op::kEq, {std::string(operand)}, 0};
  if (op == "in") {
    IMAGEFS_ASSIGN_OR_RETURN(std::vector<std::string> members, SplitInList(operand));
    return ListFilter{key, ListFilter::Op::kIn, std::move(members), 0};
  }
  return InvalidArgument("Unable to filter by unknown operator '" + std::string(op) + "'.");
}

Status ParseLimit(std::string_view value, const ListLimits& limits, ListQuery& q) {
  std::optional<int64_t> limit = ParsePythonInt(value);
  if (!limit) return InvalidArgument("limit param must be an integer");
  if (*limit < 0) return InvalidArgument("limit param must be positive");
  q.limit = std::min(static_cast<uint64_t>(*limit), static_cast<uint64_t>(limits.max_limit));
  return Status::Ok();
}

Status ParseMemberStatus(const std::string& value, ListQuery& q) {
  if (value == "all") {
    q.member_status.reset();
    return Status::Ok();
  }
  std::optional<wire::MemberStatus> status = wire::ParseMemberStatus(value);
  if (!status) return InvalidArgument("Invalid status: " + value);
  q.member_status = status;
  return Status::Ok();
}

Status ParseVisibility(const std::string& value, ListQuery& q) {
  if (value.empty()) {
    // Glance skips validating an empty value and then matches visibility == "".
    q.filters.push_back(ListFilter{"visibility", ListFilter::Op::kEq, {""}, 0});
    return Status::Ok();
  }
  if (value == "all") {
    q.visibility_all = true;
    return Status::Ok();
  }
  std::optional<wire::Visibility> visibility = wire::ParseVisibility(value);
  if (!visibility) return InvalidArgument("Invalid visibility value: " + value);
  q.visibility = visibility;
  return Status::Ok();
}

Result<bool> ParseBoolFilter(std::string_view name, std::string value) {
  if (value == "true" || value == "false") return value == "true";
  return InvalidArgument("Invalid value '" + value + "' for '" + std::string(name) +
                         "' filter. Valid values are 'true' or 'false'.");
}

Result<int64_t> ParseSizeBound(std::string_view value) {
  std::optional<int64_t> bound = ParsePythonInt(value);
  if (!bound) return InvalidArgument("Unable to filter on a range with a non-numeric value.");
  return *bound;
}

bool IsColumnFilter(std::string_view key) {
  return key == "name" || key == "id" || key == "status" || key == "container_format" ||
         key == "disk_format";
}

Status ApplyParam(const std::string& key, const std::string& value, const ListLimits& limits,
                  ListQuery& q) {
  if (key == "limit") return ParseLimit(value, limits, q);
  if (key == "marker") {
    q.marker = value;
  } else if (key == "member_status") {
    return ParseMemberStatus(value, q);
  } else if (key == "visibility") {
    return ParseVisibility(value, q);
  } else if (key == "os_hidden") {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    IMAGEFS_ASSIGN_OR_RETURN(q.os_hidden, ParseBoolFilter(key, lower));
  } else if (key == "protected") {
    IMAGEFS_ASSIGN_OR_RETURN(q.is_protected, ParseBoolFilter(key, value));
  } else if (key == "size_min") {
    IMAGEFS_ASSIGN_OR_RETURN(q.size_min, ParseSizeBound(value));
  } else if (key == "size_max") {
    IMAGEFS_ASSIGN_OR_RETURN(q.size_max, ParseSizeBound(value));
  } else if (key == "changes-since") {
    return InvalidArgument("The \"changes-since\" filter is no longer available on v2.");
  } else if (key == "created_at" || key == "updated_at") {
    IMAGEFS_ASSIGN_OR_RETURN(ListFilter filter, ParseTimeFilter(key, value));
    q.filters.push_back(std::move(filter));
  } else if (IsColumnFilter(key)) {
    IMAGEFS_ASSIGN_OR_RETURN(ListFilter filter, ParseColumnFilter(key, value));
    q.filters.push_back(std::move(filter));
  } else if (key != "sort") {
    // owner, size, checksum, ... compare a column; anything else a custom property.
    q.filters.push_back(ListFilter{key, ListFilter::Op::kEq, {value}, 0});
  }
  return Status::Ok();
}

Result<std::string> ValidateSortKey(std::string_view key) {
  if (std::find(std::begin(kSortKeys), std::end(kSortKeys), key) != std::end(kSortKeys)) {
    return std::string(key);
  }
  return InvalidArgument("Invalid sort key: " + std::string(key) +
                         ". It must be one of the following: name, status, container_format, "
                         "disk_format, size, id, created_at, updated_at.");
}

Result<bool> ValidateSortDir(std::string_view dir) {
  if (dir == "asc" || dir == "desc") return dir == "asc";
  return InvalidArgument("Invalid sort direction: " + std::string(dir));
}

// sort=key[:dir],...: a missing direction is desc.
Status ParseNewSort(std::string_view sort, ListQuery& q) {
  sort = Strip(sort);
  std::vector<bool> dirs;
  size_t pos = 0;
  while (true) {
    size_t comma = std::min(sort.find(',', pos), sort.size());
    std::string_view part = sort.substr(pos, comma - pos);
    size_t colon = part.find(':');
    std::string_view dir = colon == std::string_view::npos ? "" : part.substr(colon + 1);
    IMAGEFS_ASSIGN_OR_RETURN(std::string key, ValidateSortKey(Strip(part.substr(0, colon))));
    IMAGEFS_ASSIGN_OR_RETURN(bool ascending, ValidateSortDir(dir.empty() ? "desc" : Strip(dir)));
    q.sort.push_back(SortKey{std::move(key), ascending});
    dirs.push_back(ascending);
    if (comma == sort.size()) break;
    pos = comma + 1;
  }
  AppendSortTieBreakers(q.sort, dirs.size() == 1 && dirs.front());
  return Status::Ok();
}

// sort_key=a&sort_key=b&sort_dir=...: no dir is desc for all, one dir applies to
// all keys, otherwise one dir per key.
Status ParseClassicSort(const CollectedParams& p, ListQuery& q) {
  std::vector<std::string> keys;
  std::vector<bool> dirs;
  for (const std::string& key : p.sort_keys) {
    IMAGEFS_ASSIGN_OR_RETURN(std::string valid, ValidateSortKey(Strip(key)));
    keys.push_back(std::move(valid));
  }
  for (const std::string& dir : p.sort_dirs) {
    IMAGEFS_ASSIGN_OR_RETURN(bool ascending, ValidateSortDir(Strip(dir)));
    dirs.push_back(ascending);
  }
  if (dirs.size() > 1 && dirs.size() != keys.size()) {
    return InvalidArgument("Number of sort dirs does not match the number of sort keys");
  }
  if (keys.empty()) keys.emplace_back("created_at");
  for (size_t i = 0; i < keys.size(); ++i) {
    bool ascending = dirs.empty() ? false : dirs[dirs.size() == 1 ? 0 : i];
    q.sort.push_back(SortKey{keys[i], ascending});
  }
  AppendSortTieBreakers(q.sort, dirs.size() == 1 && dirs.front());
  return Status::Ok();
}

Status ParseSorting(const CollectedParams& p, ListQuery& q) {
  auto sort = std::find_if(p.singles.begin(), p.singles.end(),
                           [](const auto& kv) { return kv.first == "sort"; });
  if (sort == p.singles.end()) return ParseClassicSort(p, q);
  if (!p.sort_keys.empty() || !p.sort_dirs.empty()) {
    return InvalidArgument("Old and new sorting syntax cannot be combined");
  }
  return ParseNewSort(sort->second, q);
}

}  // namespace

void AppendSortTieBreakers(std::vector<SortKey>& sort, bool ascending) {
  for (std::string_view tie : {"created_at", "id"}) {
    bool present =
        std::any_of(sort.begin(), sort.end(), [tie](const SortKey& k) { return k.key == tie; });
    if (!present) sort.push_back(SortKey{std::string(tie), ascending});
  }
}

Result<ListQuery> ParseV2ListQuery(const QueryParams& params, const Identity& caller,
                                   const ListLimits& limits) {
  ListQuery q;
  q.caller = caller;
  q.limit = std::min(limits.default_limit, limits.max_limit);
  CollectedParams collected = Collect(params);
  for (const auto& [key, value] : collected.singles) {
    IMAGEFS_RETURN_IF_ERROR(ApplyParam(key, value, limits, q));
  }
  IMAGEFS_RETURN_IF_ERROR(ParseSorting(collected, q));
  q.tags = std::move(collected.tags);
  return q;
}

}  // namespace imagefs::service
