#include "service/catalog/image_index.h"

#include <algorithm>
#include <utility>

namespace imagefs::service::catalog {
namespace {

bool IsPublicOrCommunity(const wire::Image& image) {
  return image.visibility == wire::Visibility::kPublic ||
         image.visibility == wire::Visibility::kCommunity;
}

}  // namespace

const ImageOrder& OrderOf(IndexedOrder order) {
  static const ImageOrder kCreated({{SortField::kCreatedAt, true}, {SortField::kId, true}});
  static const ImageOrder kUpdated(
      {{SortField::kUpdatedAt, true}, {SortField::kCreatedAt, true}, {SortField::kId, true}});
  static const ImageOrder kName(
      {{SortField::kName, true}, {SortField::kCreatedAt, true}, {SortField::kId, true}});
  switch (order) {
    case IndexedOrder::kCreated:
      return kCreated;
    case IndexedOrder::kUpdated:
      return kUpdated;
    case IndexedOrder::kName:
      return kName;
  }
  return kCreated;
}

std::optional<IndexedWalk> FindIndexedOrder(const std::vector<OrderKey>& keys) {
  if (keys.empty()) return std::nullopt;
  const bool ascending = keys.front().ascending;
  for (const OrderKey& key : keys) {
    if (key.ascending != ascending) return std::nullopt;
  }
  for (IndexedOrder order : {IndexedOrder::kCreated, IndexedOrder::kUpdated, IndexedOrder::kName}) {
    const std::vector<OrderKey>& indexed = OrderOf(order).keys();
    bool same = std::equal(keys.begin(), keys.end(), indexed.begin(), indexed.end(),
                           [](const OrderKey& a, const OrderKey& b) { return a.field == b.field; });
    if (same) return IndexedWalk{order, ascending};
  }
  return std::nullopt;
}

bool IsDeleted(const wire::Image& image) {
  return image.status == wire::ImageStatus::kDeleted ||
         image.status == wire::ImageStatus::kPendingDelete;
}

bool IsListable(const wire::Image& image) {
  return !IsDeleted(image) && image.status != wire::ImageStatus::kKilled;
}

ImageIndex::ImageIndex()
    : sets_{{OrderedSets(&OrderOf(IndexedOrder::kCreated)),
             OrderedSets(&OrderOf(IndexedOrder::kUpdated)),
             OrderedSets(&OrderOf(IndexedOrder::kName))}} {}

void ImageIndex::PutImage(ImagePtr image) {
  auto it = images_.find(image->id);
  if (it != images_.end()) {
    if (!IsDeleted(*it->second)) --live_count_;
    UnindexImage(it->second);
    it->second = image;
  } else {
    it = images_.emplace(image->id, image).first;
  }
  if (!IsDeleted(*image)) ++live_count_;
  IndexImage(image);
}

void ImageIndex::LoadImages(std::vector<ImagePtr> images) {
  images_.reserve(images.size());
  std::vector<ImagePtr> listable;
  listable.reserve(images.size());
  for (ImagePtr& image : images) {
    if (!IsDeleted(*image)) ++live_count_;
    if (IsListable(*image)) listable.push_back(image);
    images_.emplace(image->id, std::move(image));
  }
  for (size_t i = 0; i < kIndexedOrderCount; ++i) {
    OrderedSets& sets = sets_[i];
    std::sort(listable.begin(), listable.end(), sets.all.key_comp());
    for (const ImagePtr& image : listable) {  // sorted: every insert is at the end
      sets.all.insert(sets.all.end(), image);
      if (IsPublicOrCommunity(*image)) {
        sets.public_community.insert(sets.public_community.end(), image);
      }
      if (image->owner) {
        ImageSet& owned =
            sets.by_owner.try_emplace(*image->owner, sets.all.key_comp()).first->second;
        owned.insert(owned.end(), image);
      }
    }
  }
}

const ImagePtr* ImageIndex::FindImage(std::string_view id) const {
  auto it = images_.find(id);
  return it == images_.end() ? nullptr : &it->second;
}

void ImageIndex::IndexImage(const ImagePtr& image) {
  if (!IsListable(*image)) return;
  for (size_t i = 0; i < kIndexedOrderCount; ++i) {
    OrderedSets& sets = sets_[i];
    sets.all.insert(image);
    if (IsPublicOrCommunity(*image)) sets.public_community.insert(image);
    if (image->owner) {
      auto owner = sets.by_owner.try_emplace(*image->owner, sets.all.key_comp()).first;
      owner->second.insert(image);
    }
  }
}

void ImageIndex::UnindexImage(const ImagePtr& image) {
  if (!IsListable(*image)) return;
  for (size_t i = 0; i < kIndexedOrderCount; ++i) {
    OrderedSets& sets = sets_[i];
    sets.all.erase(image);
    sets.public_community.erase(image);
    if (!image->owner) continue;
    auto owner = sets.by_owner.find(*image->owner);
    if (owner == sets.by_owner.end()) continue;
    owner->second.erase(image);
    if (owner->second.empty()) sets.by_owner.erase(owner);
  }
}

void ImageIndex::PutMember(const wire::Member& member) {
  members_[member.image_id].insert_or_assign(member.member_id, member);
  shared_with_[member.member_id].insert(member.image_id);
}

bool ImageIndex::RemoveMember(std::string_view image_id, std::string_view member_id) {
  auto image = members_.find(image_id);
  if (image == members_.end()) return false;
  auto member = image->second.find(member_id);
  if (member == image->second.end()) return false;
  image->second.erase(member);
  if (image->second.empty()) members_.erase(image);
  auto shared = shared_with_.find(member_id);
  if (shared != shared_with_.end()) {
    auto entry = shared->second.find(image_id);
    if (entry != shared->second.end()) shared->second.erase(entry);
    if (shared->second.empty()) shared_with_.erase(shared);
  }
  return true;
}

void ImageIndex::RemoveMembersOf(std::string_view image_id) {
  for (const wire::Member& member : MembersOf(image_id)) {
    RemoveMember(image_id, member.member_id);
  }
}

const wire::Member* ImageIndex::FindMember(std::string_view image_id,
                                           std::string_view member_id) const {
  auto image = members_.find(image_id);
  if (image == members_.end()) return nullptr;
  auto member = image->second.find(member_id);
  return member == image->second.end() ? nullptr : &member->second;
}

std::vector<wire::Member> ImageIndex::MembersOf(std::string_view image_id) const {
  std::vector<wire::Member> out;
  auto image = members_.find(image_id);
  if (image == members_.end()) return out;
  out.reserve(image->second.size());
  for (const auto& [id, member] : image->second) out.push_back(member);
  return out;
}

const std::set<std::string, std::less<>>* ImageIndex::ImagesSharedWith(
    std::string_view member_id) const {
  auto it = shared_with_.find(member_id);
  return it == shared_with_.end() ? nullptr : &it->second;
}

bool ImageIndex::IsReadable(const wire::Image& image, const Identity& caller) const {
  if (caller.is_admin || !image.owner || IsPublicOrCommunity(image)) return true;
  if (caller.project.empty()) return false;
  if (*image.owner == caller.project) return true;
  return image.visibility == wire::Visibility::kShared &&
         FindMember(image.id, caller.project) != nullptr;
}

}  // namespace imagefs::service::catalog
