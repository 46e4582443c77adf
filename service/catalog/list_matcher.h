// ListMatcher: decides whether one image belongs in the result of a list query,
// leaving out order, marker and limit (list_engine.h applies those).
//
// The rules, in Glance's order (spec 1.6, transcript section 2):
//  1. lifecycle: killed images never; deleted ones only when `changes_since` is set
//     and they changed at or after it; then the os_hidden rule (hidden images only
//     with os_hidden=true, only visible ones otherwise, both when ignore_os_hidden);
//  2. candidates: admin: every image; others: public, community, owned by the
//     caller's project, and shared images where the caller's membership has
//     `member_status` (any status when unset);
//  3. visibility: `visibility_all` keeps all; `visibility` keeps that one; neither
//     drops community images the caller's project does not own;
//  4. filters: protected, tags (all present), size bounds (unset size never
//     matches), then each ListFilter.
//
// ListFilter keys name base columns or, for any other key, a custom property.
// String columns compare exactly; integer columns (size, virtual_size, min_ram,
// min_disk) compare as integers, and an operand that is not an integer matches
// nothing; created_at/updated_at compare ListFilter::time to the microsecond.
// An unset column or missing property matches no operator, `neq` included (SQL
// NULL semantics).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/wire/image.h"
#include "service/catalog/image_index.h"
#include "service/catalog/list_query.h"

namespace imagefs::service::catalog {

class ListMatcher {
 public:
  // `index` and `query` must outlive the matcher.
  ListMatcher(const ImageIndex& index, const ListQuery& query);

  bool Matches(const wire::Image& image) const;

  // Rule 2 alone: the image is a list candidate for the caller.
  bool IsCandidate(const wire::Image& image) const;

 private:
  enum class Column;
  struct CompiledFilter {
    Column column;
    ListFilter::Op op;
    std::string property;              // kProperty: its name
    std::vector<std::string> strings;  // string and bool columns, properties
    std::vector<int64_t> ints;         // integer columns: the operands that parse
    int64_t time = 0;                  // created_at, updated_at
  };

  static CompiledFilter Compile(const ListFilter& filter);
  static bool Evaluate(const CompiledFilter& filter, const wire::Image& image);

  bool PassesLifecycle(const wire::Image& image) const;
  bool PassesVisibility(const wire::Image& image) const;
  bool PassesFilters(const wire::Image& image) const;
  bool OwnedByCaller(const wire::Image& image) const;

  const ImageIndex& index_;
  const ListQuery& query_;
  std::vector<CompiledFilter> filters_;
};

}  // namespace imagefs::service::catalog
