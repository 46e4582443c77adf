// The list query engine: evaluates a ListQuery against an ImageIndex.
//
// Order: ResolveSort (requested keys, then created_at and id). When that order is
// one of the indexed orders with a single direction, and no changes_since is
// given, the engine walks the ordered sets from the marker, merging the caller's
// candidate sets (owner, public/community, shared with the caller), and stops after
// `limit` matches: O(limit + memberships) when most candidates match. Any other
// order scans the candidate sets in memory, keeping the best `limit` images after
// the marker in a bounded heap: O(candidates * log limit). Neither touches RocksDB.
#pragma once

#include <vector>

#include "common/result.h"
#include "service/catalog/image_index.h"
#include "service/catalog/list_query.h"

namespace imagefs::service::catalog {

struct ListResult {
  std::vector<ImagePtr> images;  // in list order, at most query.limit
};

// InvalidArgument "No image found with ID <marker>" when the marker is unknown,
// deleted (unless changes_since is set) or not readable by the caller, or for an
// unknown sort key.
// REQUIRES: the caller holds the index's lock, shared, for the whole call. The
// returned pointers stay valid after it is released.
Result<ListResult> RunListQuery(const ImageIndex& index, const ListQuery& query);

}  // namespace imagefs::service::catalog
