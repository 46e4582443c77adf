#include "service/catalog/list_engine.h"

#include <algorithm>
#include <iterator>
#include <queue>

#include "service/catalog/list_matcher.h"

namespace imagefs::service::catalog {
namespace {

// Walks one ordered set from just after the marker, forwards or backwards.
class SetCursor {
 public:
  SetCursor(const ImageSet& set, const ImagePtr* marker, bool ascending)
      : begin_(set.begin()), end_(set.end()), ascending_(ascending) {
    if (ascending) {
      pos_ = marker ? set.upper_bound(*marker) : set.begin();
    } else {
      pos_ = marker ? set.lower_bound(*marker) : set.end();
    }
  }

  bool Done() const { return ascending_ ? pos_ == end_ : pos_ == begin_; }
  // REQUIRES: !Done().
  const ImagePtr& Get() const { return ascending_ ? *pos_ : *std::prev(pos_); }
  void Next() {
    if (ascending_) {
      ++pos_;
    } else {
      --pos_;
    }
  }

 private:
  ImageSet::const_iterator begin_, end_, pos_;
  bool ascending_;
};

Result<const ImagePtr*> FindMarker(const ImageIndex& index, const ListQuery& query) {
  if (!query.marker) return static_cast<const ImagePtr*>(nullptr);
  const ImagePtr* marker = index.FindImage(*query.marker);
  bool usable = marker != nullptr && (!IsDeleted(**marker) || query.changes_since) &&
                index.IsReadable(**marker, query.caller);
  if (!usable) return InvalidArgument("No image found with ID " + *query.marker);
  return marker;
}

bool WantsPublicCommunity(const ListQuery& query) {
  return query.visibility_all || !query.visibility ||
         *query.visibility == wire::Visibility::kPublic ||
         *query.visibility == wire::Visibility::kCommunity;
}

bool WantsShared(const ListQuery& query) {
  return query.visibility_all || !query.visibility ||
         *query.visibility == wire::Visibility::kShared;
}

// The sets whose union holds every candidate of a non-admin caller, pairwise
// disjoint except for the owner set and the public/community set (an owned public
// image is in both). `shared` receives the images shared with the caller's project
// that it does not own, and must outlive the result.
std::vector<const ImageSet*> CandidateSets(const ImageIndex& index, const ListQuery& query,
                                           const ImageIndex::OrderedSets& sets,
                                           const ListMatcher& matcher, ImageSet* shared) {
  std::vector<const ImageSet*> out;
  if (query.caller.is_admin) return {&sets.all};
  const std::string& project = query.caller.project;
  auto owned = project.empty() ? sets.by_owner.end() : sets.by_owner.find(project);
  if (owned != sets.by_owner.end()) out.push_back(&owned->second);
  if (WantsPublicCommunity(query)) out.push_back(&sets.public_community);
  const auto* shared_ids = project.empty() ? nullptr : index.ImagesSharedWith(project);
  if (shared_ids == nullptr || !WantsShared(query)) return out;
  for (const std::string& id : *shared_ids) {
    const ImagePtr* image = index.FindImage(id);
    if (image == nullptr || !IsListable(**image) || (*image)->owner == project ||
        (*image)->visibility != wire::Visibility::kShared) {
      continue;  // a membership of a public image is not what makes it a candidate
    }
    if (matcher.IsCandidate(**image)) shared->insert(*image);
  }
  out.push_back(shared);
  return out;
}

ListResult MergeWalk(const std::vector<const ImageSet*>& sets, const ImagePtr* marker,
                     const IndexedWalk& walk, const ListMatcher& matcher, size_t limit) {
  std::vector<SetCursor> cursors;
  for (const ImageSet* set : sets) cursors.emplace_back(*set, marker, walk.ascending);
  const ImageOrder& order = OrderOf(walk.order);
  ListResult result;
  while (result.images.size() < limit) {
    const ImagePtr* next = nullptr;
    for (const SetCursor& c : cursors) {
      if (c.Done()) continue;
      if (next == nullptr ||
          (walk.ascending ? order.Before(*c.Get(), **next) : order.Before(**next, *c.Get()))) {
        next = &c.Get();
      }
    }
    if (next == nullptr) break;
    ImagePtr image = *next;  // copy: advancing the cursors invalidates `next`
    for (SetCursor& c : cursors) {
      if (!c.Done() && c.Get() == image) c.Next();
    }
    if (matcher.Matches(*image)) result.images.push_back(std::move(image));
  }
  return result;
}

// Keeps the first `limit` images of `order` offered to it.
class TopK {
 public:
  TopK(const ImageOrder& order, size_t limit) : limit_(limit), heap_(Less{&order}) {}

  void Offer(const ImagePtr& image) {
    if (heap_.size() == limit_ && !heap_.comp_before(*image, *heap_.top())) return;
    heap_.push(image);
    if (heap_.size() > limit_) heap_.pop();
  }

  std::vector<ImagePtr> Take() && {
    std::vector<ImagePtr> out(heap_.size());
    for (auto it = out.rbegin(); it != out.rend(); ++it) {
      *it = heap_.top();
      heap_.pop();
    }
    return out;
  }

 private:
  struct Less {
    const ImageOrder* order;
    bool operator()(const ImagePtr& a, const ImagePtr& b) const { return order->Before(*a, *b); }
  };
  // A max-heap on the order: top() is the last image kept.
  struct Heap : std::priority_queue<ImagePtr, std::vector<ImagePtr>, Less> {
    using priority_queue::priority_queue;
    bool comp_before(const wire::Image& a, const wire::Image& b) const {
      return comp.order->Before(a, b);
    }
  };
  size_t limit_;
  Heap heap_;
};

ListResult ScanAndSort(const ImageIndex& index, const ListQuery& query, const ImageOrder& order,
                       const ImagePtr* marker, const ListMatcher& matcher) {
  TopK top(order, query.limit);
  auto offer = [&](const ImagePtr& image) {
    if (marker != nullptr && order.Compare(*image, **marker) <= 0) return;
    if (matcher.Matches(*image)) top.Offer(image);
  };
  if (query.changes_since) {  // deleted images are only in the id map
    for (const auto& [id, image] : index.images()) offer(image);
    return ListResult{std::move(top).Take()};
  }
  const ImageIndex::OrderedSets& sets = index.Sets(IndexedOrder::kCreated);
  ImageSet shared(sets.all.key_comp());
  std::vector<const ImageSet*> candidates = CandidateSets(index, query, sets, matcher, &shared);
  for (const ImageSet* set : candidates) {
    bool public_community = set == &sets.public_community;
    for (const ImagePtr& image : *set) {
      // Owned images were offered with the owner set already.
      if (public_community && !query.caller.is_admin && !query.caller.project.empty() &&
          image->owner == query.caller.project) {
        continue;
      }
      offer(image);
    }
  }
  return ListResult{std::move(top).Take()};
}

}  // namespace

Result<ListResult> RunListQuery(const ImageIndex& index, const ListQuery& query) {
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<OrderKey> keys, ResolveSort(query.sort));
  IMAGEFS_ASSIGN_OR_RETURN(const ImagePtr* marker, FindMarker(index, query));
  if (query.limit == 0) return ListResult{};
  ListMatcher matcher(index, query);
  std::optional<IndexedWalk> walk;
  if (!query.changes_since) walk = FindIndexedOrder(keys);
  if (!walk) return ScanAndSort(index, query, ImageOrder(std::move(keys)), marker, matcher);
  const ImageIndex::OrderedSets& sets = index.Sets(walk->order);
  ImageSet shared(sets.all.key_comp());
  std::vector<const ImageSet*> candidates = CandidateSets(index, query, sets, matcher, &shared);
  return MergeWalk(candidates, marker, *walk, matcher, query.limit);
}

}  // namespace imagefs::service::catalog
