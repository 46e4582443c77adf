#include "service/backup/backup.h"

#include <algorithm>
#include <array>
#include <utility>

namespace imagefs::service::backup {
namespace {

constexpr std::array<std::pair<BackupStatus, std::string_view>, 6> kStatusNames = {{
    {BackupStatus::kCreating, "creating"},
    {BackupStatus::kAvailable, "available"},
    {BackupStatus::kDeleting, "deleting"},
    {BackupStatus::kError, "error"},
    {BackupStatus::kErrorDeleting, "error_deleting"},
    {BackupStatus::kRestoring, "restoring"},
}};

constexpr size_t kDigestSize = 32;
constexpr uint64_t kGiB = uint64_t{1} << 30;

bool IsContainerChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

std::string_view ToString(BackupStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "error";
}

std::optional<BackupStatus> ParseBackupStatus(std::string_view text) {
  for (const auto& [s, name] : kStatusNames) {
    if (name == text) return s;
  }
  return std::nullopt;
}

Status ValidateContainerName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == ".." ||
      !std::all_of(name.begin(), name.end(), IsContainerChar)) {
    return InvalidArgument("Invalid container name '" + std::string(name) +
                           "': use 1 to 255 characters of A-Z, a-z, 0-9, '_', '-' and '.'.");
  }
  return Status::Ok();
}

uint64_t Manifest::BlockLength(size_t i) const {
  uint64_t start = uint64_t{i} * block_size;
  return std::min<uint64_t>(block_size, size - start);
}

Status Manifest::Validate() const {
  if (size > 0 && block_size == 0) return InvalidArgument("manifest: block size is 0");
  if (digests.size() != BlockCount()) {
    return InvalidArgument("manifest: " + std::to_string(digests.size()) + " digests for " +
                           std::to_string(BlockCount()) + " blocks");
  }
  for (const auto& d : digests) {
    if (d.size() != kDigestSize) return InvalidArgument("manifest: a digest is not SHA-256");
  }
  return Status::Ok();
}

uint64_t Backup::SizeGiB() const { return (size_bytes + kGiB - 1) / kGiB; }

}  // namespace imagefs::service::backup
