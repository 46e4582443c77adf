// RocksCatalog: memberships. Every member write holds the image's writer lock, so
// it cannot interleave with DeleteImage (which drops the memberships it reads).
#include <algorithm>
#include <set>
#include <utility>

#include "service/catalog/keys.h"
#include "service/catalog/record_codec.h"
#include "service/catalog/rocks_catalog.h"

namespace imagefs::service::catalog {
namespace {

Status NoMember(std::string_view image_id, std::string_view member_id) {
  return NotFound("Member " + std::string(member_id) + " not found for image " +
                  std::string(image_id));
}

}  // namespace

Status RocksCatalog::AddMember(const wire::Member& member) {
  std::lock_guard image_lock(ImageLock(member.image_id));
  IMAGEFS_RETURN_IF_ERROR(FindLive(member.image_id).status());
  {
    std::shared_lock lock(mu_);
    if (index_.FindMember(member.image_id, member.member_id) != nullptr) {
      return AlreadyExists("Member " + member.member_id + " already exists for image " +
                           member.image_id);
    }
  }
  rocksdb::WriteBatch batch;
  batch.Put(MemberKey(member.image_id, member.member_id), EncodeMember(member));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  std::unique_lock lock(mu_);
  index_.PutMember(member);
  return Status::Ok();
}

Result<wire::Member> RocksCatalog::GetMember(std::string_view image_id,
                                             std::string_view member_id) {
  IMAGEFS_RETURN_IF_ERROR(FindLive(image_id).status());
  std::shared_lock lock(mu_);
  const wire::Member* member = index_.FindMember(image_id, member_id);
  if (member == nullptr) return NoMember(image_id, member_id);
  return *member;
}

Result<std::vector<wire::Member>> RocksCatalog::ListMembers(std::string_view image_id) {
  IMAGEFS_RETURN_IF_ERROR(FindLive(image_id).status());
  std::vector<wire::Member> members;
  {
    std::shared_lock lock(mu_);
    members = index_.MembersOf(image_id);
  }
  std::stable_sort(
      members.begin(), members.end(),
      [](const wire::Member& a, const wire::Member& b) { return a.created_at < b.created_at; });
  return members;
}

Result<wire::Member> RocksCatalog::UpdateMember(std::string_view image_id,
                                                std::string_view member_id,
                                                const MemberMutation& mutate) {
  std::lock_guard image_lock(ImageLock(image_id));
  IMAGEFS_RETURN_IF_ERROR(FindLive(image_id).status());
  wire::Member next;
  {
    std::shared_lock lock(mu_);
    const wire::Member* current = index_.FindMember(image_id, member_id);
    if (current == nullptr) return NoMember(image_id, member_id);
    next = *current;
  }
  IMAGEFS_RETURN_IF_ERROR(mutate(next));
  if (next.image_id != image_id || next.member_id != member_id) {
    return InvalidArgument("a member update may not change the image or member id");
  }
  rocksdb::WriteBatch batch;
  batch.Put(MemberKey(image_id, member_id), EncodeMember(next));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  std::unique_lock lock(mu_);
  index_.PutMember(next);
  return next;
}

Status RocksCatalog::RemoveMember(std::string_view image_id, std::string_view member_id) {
  std::lock_guard image_lock(ImageLock(image_id));
  IMAGEFS_RETURN_IF_ERROR(FindLive(image_id).status());
  {
    std::shared_lock lock(mu_);
    if (index_.FindMember(image_id, member_id) == nullptr) return NoMember(image_id, member_id);
  }
  rocksdb::WriteBatch batch;
  batch.Delete(MemberKey(image_id, member_id));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  std::unique_lock lock(mu_);
  index_.RemoveMember(image_id, member_id);
  return Status::Ok();
}

Status RocksCatalog::ReplaceMembers(std::string_view image_id,
                                    const std::vector<wire::Member>& members) {
  std::set<std::string_view> ids;
  for (const wire::Member& m : members) {
    if (m.image_id != image_id) {
      return InvalidArgument("member " + m.member_id + " belongs to image " + m.image_id);
    }
    if (!ids.insert(m.member_id).second) {
      return InvalidArgument("member " + m.member_id + " is listed twice");
    }
  }
  std::lock_guard image_lock(ImageLock(image_id));
  IMAGEFS_RETURN_IF_ERROR(FindLive(image_id).status());
  std::vector<wire::Member> old;
  {
    std::shared_lock lock(mu_);
    old = index_.MembersOf(image_id);
  }
  rocksdb::WriteBatch batch;
  for (const wire::Member& m : old) batch.Delete(MemberKey(image_id, m.member_id));
  for (const wire::Member& m : members)
    batch.Put(MemberKey(image_id, m.member_id), EncodeMember(m));
  IMAGEFS_RETURN_IF_ERROR(Write(batch));
  std::unique_lock lock(mu_);
  index_.RemoveMembersOf(image_id);
  for (const wire::Member& m : members) index_.PutMember(m);
  return Status::Ok();
}

Result<std::vector<wire::Member>> RocksCatalog::ListMembershipsOf(std::string_view member_id) {
  std::vector<wire::Member> out;
  std::shared_lock lock(mu_);
  const auto* image_ids = index_.ImagesSharedWith(member_id);
  if (image_ids == nullptr) return out;
  out.reserve(image_ids->size());
  for (const std::string& image_id : *image_ids) {
    if (const wire::Member* m = index_.FindMember(image_id, member_id)) out.push_back(*m);
  }
  return out;
}

}  // namespace imagefs::service::catalog
