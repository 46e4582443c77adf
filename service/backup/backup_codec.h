// Encodings of backups: the catalog's record (JSON), a manifest (compact binary),
// the export record of export_record/import_record (JSON with Cinder's column
// names, the manifest in `service_metadata`), and base64. Nothing here throws;
// malformed input comes back as InvalidArgument (DataLoss for stored records).
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/result.h"
#include "service/backup/backup.h"

namespace imagefs::service::backup {

// The backup_service an export record names, and the only one import accepts.
inline constexpr std::string_view kBackupServiceName = "imagefs.backup.local";

// Every field of `backup`, Cinder's column names where one exists
// (display_name, volume_id, ...), times as ISO-8601 with microseconds.
boost::json::object BackupToJson(const Backup& backup);
// The inverse of BackupToJson. InvalidArgument names the first bad field.
Result<Backup> BackupFromJson(const boost::json::object& o);

std::string EncodeBackupRecord(const Backup& backup);
// DataLoss when `text` is not a record EncodeBackupRecord wrote.
Result<Backup> DecodeBackupRecord(std::string_view text);

// "IFM1", size (u64 LE), block_size (u32 LE), then the raw digests.
std::string EncodeManifest(const Manifest& manifest);
// DataLoss on a short, foreign or inconsistent encoding.
Result<Manifest> DecodeManifest(std::string_view bytes);

// The export record: BackupToJson plus `service` and `service_metadata` =
// {"format": "imagefs-backup/1", "size_bytes", "block_size", "digests": [hex, ...]}.
std::string EncodeExportRecord(const Backup& backup, const Manifest& manifest);

struct ExportRecord {
  Backup backup;
  Manifest manifest;
};
// Parses and checks an export record: InvalidArgument when it is not JSON, lacks a
// field import needs (id, size, display_name, display_description, container,
// object_count, service_metadata) or holds an inconsistent manifest.
Result<ExportRecord> DecodeExportRecord(std::string_view json_text);

std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; whitespace is not accepted.
// InvalidArgument on anything else.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace imagefs::service::backup
