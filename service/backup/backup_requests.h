// The request bodies of the backups API, checked as Cinder's JSON schemas check
// them (cinder/api/schemas/backups.py, spec 4.3): unknown keys, types, lengths and
// formats are InvalidArgument ("Invalid input for field/attribute <key>. ...")
// before anything is looked up. Pure functions over parsed JSON.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "common/result.h"

namespace imagefs::service::backup {

// {"backup": {"volume_id" | "image_id", "name", "description", "container",
//  "incremental", "force", "snapshot_id", "metadata" (3.43), "availability_zone"
//  (3.51)}}. image_id is the imagefs spelling of volume_id; both may be given
// only when equal. Names and descriptions are stripped of surrounding blanks.
struct CreateBody {
  std::string image_id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> container;  // nullopt for null or ""
  bool incremental = false;
  bool force = false;
  std::optional<std::string> snapshot_id;
  std::map<std::string, std::string> metadata;
  std::optional<std::string> availability_zone;
};
Result<CreateBody> ParseCreateBody(const boost::json::value& body, int minor);

// {"backup": {"name", "description", "metadata" (3.43)} | null}.
struct UpdateBody {
  std::optional<std::optional<std::string>> name;  // outer: given; inner: null
  std::optional<std::optional<std::string>> description;
  std::optional<std::map<std::string, std::string>> metadata;
};
Result<UpdateBody> ParseUpdateBody(const boost::json::value& body, int minor);

// {"restore": {"volume_id" | "image_id": uuid|null, "name": str|null} | null}.
struct RestoreBody {
  std::optional<std::string> image_id;
  std::optional<std::string> name;
};
Result<RestoreBody> ParseRestoreBody(const boost::json::value& body);

// {"backup-record": {"backup_service": str, "backup_url": base64}}; the record
// decoded from base64 and checked for Cinder's required id and size.
struct ImportBody {
  std::string backup_service;
  std::string record_json;
  std::string id;
};
Result<ImportBody> ParseImportBody(const boost::json::value& body);

// {"os-reset_status": {"status": "available"|"error"}} or {"os-force_delete": {}}.
struct ActionBody {
  std::string action;  // "os-reset_status" or "os-force_delete"
  std::string status;  // lower-case, for os-reset_status
};
Result<ActionBody> ParseActionBody(const boost::json::value& body);

}  // namespace imagefs::service::backup
