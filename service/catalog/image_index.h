// ImageIndex: the in-memory copy of the catalog that serves every read.
//
// It holds every image record (deleted ones too) by id, the memberships both by
// image and by member project, and ordered sets of the listable images (neither
// deleted nor killed) for the orders lists use most:
//
//   created: (created_at, id)             default list: created_at desc, id desc
//   updated: (updated_at, created_at, id) sort=updated_at[:dir]
//   name:    (name, created_at, id)       sort=name[:dir]
//
// Each order is kept three ways: every listable image (admin lists), the public and
// community images, and the images of each owner. A non-admin list merges the
// caller's owner set, the public/community set and its shared images, so a page
// costs O(limit + memberships) however many images other projects hold.
//
// Images are immutable once published (shared_ptr<const>); a change replaces the
// pointer, so a reader may keep one after the lock is released.
//
// Not thread-safe: RocksCatalog guards it with a reader/writer lock.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/wire/image.h"
#include "service/catalog/image_order.h"
#include "service/identity.h"

namespace imagefs::service::catalog {

enum class IndexedOrder { kCreated = 0, kUpdated = 1, kName = 2 };
inline constexpr size_t kIndexedOrderCount = 3;

// The ascending keys of an indexed order.
const ImageOrder& OrderOf(IndexedOrder order);

// The indexed order whose keys equal `keys` with one direction throughout, and that
// direction; nullopt when the keys need a scan.
struct IndexedWalk {
  IndexedOrder order;
  bool ascending;
};
std::optional<IndexedWalk> FindIndexedOrder(const std::vector<OrderKey>& keys);

// Deleted (status deleted or pending_delete): gone for every API call.
bool IsDeleted(const wire::Image& image);
// Listed at all: not deleted and not killed.
bool IsListable(const wire::Image& image);

using ImageSet = std::set<ImagePtr, ImagePtrLess>;

// Lets unordered maps keyed by std::string be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

class ImageIndex {
 public:
  // The three ways one order is kept (see the file comment).
  struct OrderedSets {
    explicit OrderedSets(const ImageOrder* order)
        : all(ImagePtrLess{order}), public_community(ImagePtrLess{order}) {}
    ImageSet all;
    ImageSet public_community;
    StringMap<ImageSet> by_owner;
  };

  ImageIndex();
  ImageIndex(const ImageIndex&) = delete;
  ImageIndex& operator=(const ImageIndex&) = delete;

  // Inserts `image`, or replaces the image with its id.
  void PutImage(ImagePtr image);
  // Adds many images at once (the load at open): sorts them once per order and
  // appends to the ordered sets, instead of searching the trees image by image.
  // REQUIRES: the index holds no image yet and the ids are distinct.
  void LoadImages(std::vector<ImagePtr> images);
  // nullptr when no image has this id.
  const ImagePtr* FindImage(std::string_view id) const;
  const StringMap<ImagePtr>& images() const { return images_; }
  const OrderedSets& Sets(IndexedOrder order) const { return sets_[static_cast<size_t>(order)]; }
  // Images not deleted.
  size_t LiveCount() const { return live_count_; }

  // Inserts or replaces a membership. The image need not be known (load order).
  void PutMember(const wire::Member& member);
  // False when there was no such membership.
  bool RemoveMember(std::string_view image_id, std::string_view member_id);
  void RemoveMembersOf(std::string_view image_id);
  // nullptr when there is no such membership.
  const wire::Member* FindMember(std::string_view image_id, std::string_view member_id) const;
  // Ordered by member id.
  std::vector<wire::Member> MembersOf(std::string_view image_id) const;
  // Ids of the images `member_id` is a member of; nullptr when none.
  const std::set<std::string, std::less<>>* ImagesSharedWith(std::string_view member_id) const;

  // The read rule of spec 1.4 for an image that is not deleted: admin; owner unset;
  // public or community; owned by the caller; shared with a membership row (any
  // status) for the caller's project. An empty caller project owns nothing.
  bool IsReadable(const wire::Image& image, const Identity& caller) const;

 private:
  void IndexImage(const ImagePtr& image);
  void UnindexImage(const ImagePtr& image);

  StringMap<ImagePtr> images_;
  std::array<OrderedSets, kIndexedOrderCount> sets_;
  size_t live_count_ = 0;
  // image id -> member id -> membership
  StringMap<std::map<std::string, wire::Member, std::less<>>> members_;
  // member id -> image ids
  StringMap<std::set<std::string, std::less<>>> shared_with_;
};

}  // namespace imagefs::service::catalog
