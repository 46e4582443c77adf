// Total orders over images, as GET /v2/images sorts them.
//
// A sort key compares one column; unset columns compare as Glance's defaults do in
// its marker comparison: an unset string as "", an unset size as 0. Using the same
// values for ordering and for "after the marker" keeps paging consistent: every
// image appears on exactly one page when the order ends with a unique key (id).
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/catalog/list_query.h"

namespace imagefs::service::catalog {

using ImagePtr = std::shared_ptr<const wire::Image>;

enum class SortField {
  kName,
  kStatus,
  kContainerFormat,
  kDiskFormat,
  kSize,
  kId,
  kCreatedAt,
  kUpdatedAt,
};

// The field of an API sort key ("name", "created_at", ...); nullopt for others.
std::optional<SortField> ParseSortField(std::string_view key);

struct OrderKey {
  SortField field;
  bool ascending;
  friend bool operator==(const OrderKey&, const OrderKey&) = default;
};

// An order over images given by a list of keys, compared in turn.
class ImageOrder {
 public:
  explicit ImageOrder(std::vector<OrderKey> keys) : keys_(std::move(keys)) {}

  // <0 when `a` comes first, 0 when every key ties, >0 when `b` comes first.
  int Compare(const wire::Image& a, const wire::Image& b) const;
  bool Before(const wire::Image& a, const wire::Image& b) const { return Compare(a, b) < 0; }

  const std::vector<OrderKey>& keys() const { return keys_; }

 private:
  std::vector<OrderKey> keys_;
};

// Compares two images on one field, ascending (nulls as "" and 0).
int CompareField(const wire::Image& a, const wire::Image& b, SortField field);

// The order a list query asks for: its keys with duplicates dropped (the first
// occurrence wins, as SQL's ORDER BY a ASC, a DESC does), then created_at and id,
// descending, appended when absent. Empty `sort` gives created_at desc, id desc.
// InvalidArgument for an unknown key.
Result<std::vector<OrderKey>> ResolveSort(const std::vector<SortKey>& sort);

// Orders shared_ptrs by an ImageOrder (for std::set). The order must outlive it.
struct ImagePtrLess {
  const ImageOrder* order;
  bool operator()(const ImagePtr& a, const ImagePtr& b) const { return order->Before(*a, *b); }
};

}  // namespace imagefs::service::catalog
