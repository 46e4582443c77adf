#include "service/catalog/list_matcher.h"

#include <algorithm>
#include <charconv>
#include <span>
#include <string_view>

namespace imagefs::service::catalog {

enum class ListMatcher::Column {
  kName,
  kId,
  kStatus,
  kContainerFormat,
  kDiskFormat,
  kOwner,
  kVisibility,
  kChecksum,
  kHashAlgo,
  kHashValue,
  kProtected,
  kOsHidden,
  kSize,
  kVirtualSize,
  kMinRam,
  kMinDisk,
  kCreatedAt,
  kUpdatedAt,
  kProperty,
};

namespace {

using Op = ListFilter::Op;

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// `value` against the operands of one filter (the first one unless kIn).
template <typename V, typename T>
bool ApplyOp(Op op, const V& value, std::span<const T> operands) {
  if (op == Op::kIn) {
    return std::find(operands.begin(), operands.end(), value) != operands.end();
  }
  if (operands.empty()) return false;
  const T& x = operands.front();
  switch (op) {
    case Op::kEq:
      return value == x;
    case Op::kNeq:
      return value != x;
    case Op::kGt:
      return value > x;
    case Op::kGte:
      return value >= x;
    case Op::kLt:
      return value < x;
    case Op::kLte:
      return value <= x;
    case Op::kIn:
      break;
  }
  return false;
}

std::optional<std::string_view> View(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

}  // namespace

ListMatcher::ListMatcher(const ImageIndex& index, const ListQuery& query)
    : index_(index), query_(query) {
  filters_.reserve(query.filters.size());
  for (const ListFilter& filter : query.filters) filters_.push_back(Compile(filter));
}

ListMatcher::CompiledFilter ListMatcher::Compile(const ListFilter& filter) {
  static constexpr std::pair<std::string_view, Column> kColumns[] = {
      {"name", Column::kName},
      {"id", Column::kId},
      {"status", Column::kStatus},
      {"container_format", Column::kContainerFormat},
      {"disk_format", Column::kDiskFormat},
      {"owner", Column::kOwner},
      {"visibility", Column::kVisibility},
      {"checksum", Column::kChecksum},
      {"os_hash_algo", Column::kHashAlgo},
      {"os_hash_value", Column::kHashValue},
      {"protected", Column::kProtected},
      {"os_hidden", Column::kOsHidden},
      {"size", Column::kSize},
      {"virtual_size", Column::kVirtualSize},
      {"min_ram", Column::kMinRam},
      {"min_disk", Column::kMinDisk},
      {"created_at", Column::kCreatedAt},
      {"updated_at", Column::kUpdatedAt},
  };
  CompiledFilter out{Column::kProperty, filter.op, filter.key, filter.values, {}, filter.time};
  for (const auto& [name, column] : kColumns) {
    if (name == filter.key) out.column = column;
  }
  for (const std::string& v : filter.values) {
    if (std::optional<int64_t> i = ParseInt(v)) out.ints.push_back(*i);
  }
  return out;
}

bool ListMatcher::Evaluate(const CompiledFilter& f, const wire::Image& image) {
  std::optional<std::string_view> s;
  std::optional<int64_t> i;
  switch (f.column) {
    case Column::kName:
      s = View(image.name);
      break;
    case Column::kId:
      s = image.id;
      break;
    case Column::kStatus:
      s = wire::ToString(image.status);
      break;
    case Column::kContainerFormat:
      s = View(image.container_format);
      break;
    case Column::kDiskFormat:
      s = View(image.disk_format);
      break;
    case Column::kOwner:
      s = View(image.owner);
      break;
    case Column::kVisibility:
      s = wire::ToString(image.visibility);
      break;
    case Column::kChecksum:
      s = View(image.checksum);
      break;
    case Column::kHashAlgo:
      s = View(image.os_hash_algo);
      break;
    case Column::kHashValue:
      s = View(image.os_hash_value);
      break;
    case Column::kProtected:
      s = image.is_protected ? "true" : "false";
      break;
    case Column::kOsHidden:
      s = image.os_hidden ? "true" : "false";
      break;
    case Column::kSize:
      i = image.size;
      break;
    case Column::kVirtualSize:
      i = image.virtual_size;
      break;
    case Column::kMinRam:
      i = image.min_ram;
      break;
    case Column::kMinDisk:
      i = image.min_disk;
      break;
    case Column::kCreatedAt:
      return ApplyOp(f.op, image.created_at, std::span(&f.time, 1));
    case Column::kUpdatedAt:
      return ApplyOp(f.op, image.updated_at, std::span(&f.time, 1));
    case Column::kProperty: {
      auto it = image.properties.find(f.property);
      if (it != image.properties.end()) s = it->second;
      break;
    }
  }
  if (s) return ApplyOp(f.op, *s, std::span<const std::string>(f.strings));
  return i.has_value() && ApplyOp(f.op, *i, std::span<const int64_t>(f.ints));
}

bool ListMatcher::Matches(const wire::Image& image) const {
  return PassesLifecycle(image) && IsCandidate(image) && PassesVisibility(image) &&
         PassesFilters(image);
}

bool ListMatcher::OwnedByCaller(const wire::Image& image) const {
  return !query_.caller.project.empty() && image.owner && *image.owner == query_.caller.project;
}

bool ListMatcher::PassesLifecycle(const wire::Image& image) const {
  if (image.status == wire::ImageStatus::kKilled) return false;
  if (IsDeleted(image) && !(query_.changes_since && image.updated_at >= *query_.changes_since)) {
    return false;
  }
  return query_.ignore_os_hidden || image.os_hidden == query_.os_hidden;
}

bool ListMatcher::IsCandidate(const wire::Image& image) const {
  if (query_.caller.is_admin) return true;
  if (image.visibility == wire::Visibility::kPublic ||
      image.visibility == wire::Visibility::kCommunity || OwnedByCaller(image)) {
    return true;
  }
  if (image.visibility != wire::Visibility::kShared || query_.caller.project.empty()) {
    return false;
  }
  const wire::Member* member = index_.FindMember(image.id, query_.caller.project);
  return member != nullptr && (!query_.member_status || member->status == *query_.member_status);
}

bool ListMatcher::PassesVisibility(const wire::Image& image) const {
  if (query_.visibility_all) return true;
  if (query_.visibility) return image.visibility == *query_.visibility;
  return image.visibility != wire::Visibility::kCommunity || OwnedByCaller(image);
}

bool ListMatcher::PassesFilters(const wire::Image& image) const {
  if (query_.is_protected && image.is_protected != *query_.is_protected) return false;
  for (const std::string& tag : query_.tags) {
    if (!image.HasTag(tag)) return false;
  }
  if (query_.size_min && !(image.size && *image.size >= *query_.size_min)) return false;
  if (query_.size_max && !(image.size && *image.size <= *query_.size_max)) return false;
  return std::all_of(filters_.begin(), filters_.end(),
                     [&image](const CompiledFilter& f) { return Evaluate(f, image); });
}

}  // namespace imagefs::service::catalog
