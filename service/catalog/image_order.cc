#include "service/catalog/image_order.h"

#include <algorithm>
#include <string>

namespace imagefs::service::catalog {
namespace {

std::string_view OrEmpty(const std::optional<std::string>& s) {
  return s ? std::string_view(*s) : std::string_view();
}

int Sign(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

int Sign(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool HasField(const std::vector<OrderKey>& keys, SortField field) {
  return std::any_of(keys.begin(), keys.end(),
                     [field](const OrderKey& k) { return k.field == field; });
}

}  // namespace

std::optional<SortField> ParseSortField(std::string_view key) {
  static constexpr std::pair<std::string_view, SortField> kFields[] = {
      {"name", SortField::kName},
      {"status", SortField::kStatus},
      {"container_format", SortField::kContainerFormat},
      {"disk_format", SortField::kDiskFormat},
      {"size", SortField::kSize},
      {"id", SortField::kId},
      {"created_at", SortField::kCreatedAt},
      {"updated_at", SortField::kUpdatedAt},
  };
  for (const auto& [name, field] : kFields) {
    if (name == key) return field;
  }
  return std::nullopt;
}

int CompareField(const wire::Image& a, const wire::Image& b, SortField field) {
  switch (field) {
    case SortField::kName:
      return Sign(OrEmpty(a.name), OrEmpty(b.name));
    case SortField::kStatus:
      return Sign(wire::ToString(a.status), wire::ToString(b.status));
    case SortField::kContainerFormat:
      return Sign(OrEmpty(a.container_format), OrEmpty(b.container_format));
    case SortField::kDiskFormat:
      return Sign(OrEmpty(a.disk_format), OrEmpty(b.disk_format));
    case SortField::kSize:
      return Sign(a.size.value_or(0), b.size.value_or(0));
    case SortField::kId:
      return Sign(a.id, b.id);
    case SortField::kCreatedAt:
      return Sign(a.created_at, b.created_at);
    case SortField::kUpdatedAt:
      return Sign(a.updated_at, b.updated_at);
  }
  return 0;
}

int ImageOrder::Compare(const wire::Image& a, const wire::Image& b) const {
  for (const OrderKey& key : keys_) {
    int c = CompareField(a, b, key.field);
    if (c != 0) return key.ascending ? c : -c;
  }
  return 0;
}

Result<std::vector<OrderKey>> ResolveSort(const std::vector<SortKey>& sort) {
  std::vector<OrderKey> keys;
  for (const SortKey& requested : sort) {
    std::optional<SortField> field = ParseSortField(requested.key);
    if (!field) return InvalidArgument("Invalid sort key: " + requested.key);
    if (!HasField(keys, *field)) keys.push_back({*field, requested.ascending});
  }
  for (SortField tie : {SortField::kCreatedAt, SortField::kId}) {
    if (!HasField(keys, tie)) keys.push_back({tie, /*ascending=*/false});
  }
  return keys;
}

}  // namespace imagefs::service::catalog
