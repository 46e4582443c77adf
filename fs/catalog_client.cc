#include "fs/catalog_client.h"

namespace imagefs::fs {
namespace {

Status NotOffered(const char* what) {
  return Unimplemented(std::string(what) + " is not offered by this catalog client");
}

constexpr std::string_view kBackupSource = "backup/";

}  // namespace

std::string BackupSourceId(const std::string& project, const std::string& backup_id) {
  return std::string(kBackupSource) + project + "/" + backup_id;
}

std::optional<std::pair<std::string, std::string>> ParseBackupSourceId(const std::string& id) {
  if (id.rfind(kBackupSource, 0) != 0) return std::nullopt;
  size_t slash = id.rfind('/');
  if (slash <= kBackupSource.size()) return std::nullopt;
  return std::make_pair(id.substr(kBackupSource.size(), slash - kBackupSource.size()),
                        id.substr(slash + 1));
}

Result<ImageListing> CatalogClient::ListSharedImages(const CallOptions&) {
  return NotOffered("listing shared images");
}
Result<std::vector<wire::Member>> CatalogClient::ListMembers(const std::string&,
                                                             const CallOptions&) {
  return NotOffered("members");
}
Result<wire::Member> CatalogClient::AddMember(const std::string&, const std::string&,
                                              const CallOptions&) {
  return NotOffered("members");
}
Result<wire::Member> CatalogClient::UpdateMember(const std::string&, const std::string&,
                                                 const std::string&, const CallOptions&) {
  return NotOffered("members");
}
Status CatalogClient::RemoveMember(const std::string&, const std::string&, const CallOptions&) {
  return NotOffered("members");
}
Result<std::vector<BackupInfo>> CatalogClient::ListBackups(const std::string&,
                                                           const CallOptions&) {
  return NotOffered("backups");
}
Result<BackupInfo> CatalogClient::GetBackup(const std::string&, const std::string&,
                                            const CallOptions&) {
  return NotOffered("backups");
}
Result<std::string> CatalogClient::CreateBackup(const std::string&, const std::string&,
                                                const std::string&, const CallOptions&) {
  return NotOffered("backups");
}
Result<std::string> CatalogClient::RestoreBackup(const std::string&, const std::string&,
                                                 const std::string&, const CallOptions&) {
  return NotOffered("backups");
}
Status CatalogClient::DeleteBackup(const std::string&, const std::string&, const CallOptions&) {
  return NotOffered("backups");
}

}  // namespace imagefs::fs
