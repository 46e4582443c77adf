// The Block Storage v3 backup bodies the mount reads and writes (docs/semantics.md
// §12). Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/catalog_client.h"

namespace imagefs::fs {

// {"backup": {...detail...}}.
Result<BackupInfo> ParseBackupDetail(std::string_view json);

struct BackupPage {
  std::vector<BackupInfo> backups;
  std::string next;  // the href of backups_links rel=next, "" on the last page
};
// {"backups": [...detail...], "backups_links": [...]}.
Result<BackupPage> ParseBackupPage(std::string_view json);

// The "id" of {"backup": {"id": ...}} (the answer to create).
Result<std::string> ParseCreatedBackupId(std::string_view json);
// The "volume_id" of {"restore": {"backup_id", "volume_id", "volume_name"}}.
Result<std::string> ParseRestoredImageId(std::string_view json);

std::string CreateBackupBody(const std::string& image_id, const std::string& name);
std::string RestoreBackupBody(const std::string& name);

}  // namespace imagefs::fs
