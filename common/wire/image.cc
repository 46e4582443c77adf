#include "common/wire/image.h"

#include <algorithm>

namespace imagefs::wire {

std::string_view ToString(ImageStatus s) {
  switch (s) {
    case ImageStatus::kQueued: return "queued";
    case ImageStatus::kSaving: return "saving";
    case ImageStatus::kActive: return "active";
    case ImageStatus::kKilled: return "killed";
    case ImageStatus::kDeleted: return "deleted";
    case ImageStatus::kUploading: return "uploading";
    case ImageStatus::kImporting: return "importing";
    case ImageStatus::kPendingDelete: return "pending_delete";
    case ImageStatus::kDeactivated: return "deactivated";
  }
  return "queued";
}

std::string_view ToString(Visibility v) {
  switch (v) {
    case Visibility::kPublic: return "public";
    case Visibility::kCommunity: return "community";
    case Visibility::kShared: return "shared";
    case Visibility::kPrivate: return "private";
  }
  return "shared";
}

std::string_view ToString(MemberStatus s) {
  switch (s) {
    case MemberStatus::kPending: return "pending";
    case MemberStatus::kAccepted: return "accepted";
    case MemberStatus::kRejected: return "rejected";
  }
  return "pending";
}

std::optional<ImageStatus> ParseImageStatus(std::string_view s) {
  static constexpr ImageStatus kAll[] = {
      ImageStatus::kQueued,    ImageStatus::kSaving,       ImageStatus::kActive,
      ImageStatus::kKilled,    ImageStatus::kDeleted,      ImageStatus::kUploading,
      ImageStatus::kImporting, ImageStatus::kPendingDelete, ImageStatus::kDeactivated};
  for (ImageStatus st : kAll) {
    if (ToString(st) == s) return st;
  }
  return std::nullopt;
}

std::optional<Visibility> ParseVisibility(std::string_view s) {
  for (Visibility v : {Visibility::kPublic, Visibility::kCommunity, Visibility::kShared,
                       Visibility::kPrivate}) {
    if (ToString(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<MemberStatus> ParseMemberStatus(std::string_view s) {
  for (MemberStatus m : {MemberStatus::kPending, MemberStatus::kAccepted, MemberStatus::kRejected}) {
    if (ToString(m) == s) return m;
  }
  return std::nullopt;
}

bool IsValidTransition(ImageStatus from, ImageStatus to) {
  using S = ImageStatus;
  switch (from) {
    case S::kQueued:
      return to == S::kSaving || to == S::kUploading || to == S::kImporting || to == S::kActive ||
             to == S::kDeleted;
    case S::kSaving:
      return to == S::kActive || to == S::kKilled || to == S::kDeleted || to == S::kQueued;
    case S::kUploading: return to == S::kImporting || to == S::kQueued || to == S::kDeleted;
    case S::kImporting: return to == S::kActive || to == S::kDeleted || to == S::kQueued;
    case S::kActive:
      return to == S::kPendingDelete || to == S::kDeleted || to == S::kDeactivated;
    case S::kKilled: return to == S::kDeleted;
    case S::kPendingDelete: return to == S::kDeleted || to == S::kActive;
    case S::kDeactivated: return to == S::kActive || to == S::kDeleted;
    case S::kDeleted: return false;
  }
  return false;
}

const std::vector<std::string>& KnownDiskFormats() {
  static const std::vector<std::string> kFormats = {"ami",  "ari",   "aki", "vhd", "vhdx", "vmdk",
                                                    "raw",  "qcow2", "vdi", "iso", "ploop"};
  return kFormats;
}

const std::vector<std::string>& KnownContainerFormats() {
  static const std::vector<std::string> kFormats = {"ami", "ari", "aki",        "bare",
                                                    "ovf", "ova", "docker",     "compressed"};
  return kFormats;
}

bool IsKnownDiskFormat(std::string_view s) {
  const auto& f = KnownDiskFormats();
  return std::find(f.begin(), f.end(), s) != f.end();
}

bool IsKnownContainerFormat(std::string_view s) {
  const auto& f = KnownContainerFormats();
  return std::find(f.begin(), f.end(), s) != f.end();
}

bool Image::HasTag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::string Image::ContentKey() const {
  if (os_hash_value) return *os_hash_value;
  if (checksum) return *checksum;
  return {};
}

}  // namespace imagefs::wire
