// The task model of the Images API (spec 1.5.12): asynchronous work such as an
// interoperable image import, with its JSON forms. Plain data; nothing throws.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace imagefs::wire {

// pending -> processing -> success | failure (pending -> failure too).
enum class TaskStatus { kPending, kProcessing, kSuccess, kFailure };

std::string_view ToString(TaskStatus s);
std::optional<TaskStatus> ParseTaskStatus(std::string_view s);

struct Task {
  std::string id;                  // lower-case UUID
  std::string type;                // "api_image_import", "import", "location_import"
  TaskStatus status = TaskStatus::kPending;
  std::string owner;               // project id
  std::string user_id;
  std::string request_id;          // the request that created it ("req-<uuid>")
  std::optional<std::string> image_id;
  std::string input_json = "{}";   // a JSON object, as text
  std::string result_json;         // a JSON value as text; "" = null
  std::string message;             // progress or failure text; "" when none
  int64_t created_at = 0;          // microseconds since the epoch, UTC
  int64_t updated_at = 0;
  std::optional<int64_t> expires_at;  // set when the task ends (success/failure)

  bool finished() const { return status == TaskStatus::kSuccess || status == TaskStatus::kFailure; }
  friend bool operator==(const Task&, const Task&) = default;
};

// GET /v2/tasks/{id}: every field, "Z" timestamps; expires_at, image_id, request_id
// and user_id only when set.
boost::json::object ToV2Json(const Task& task);

// An entry of GET /v2/tasks: id, type, status, owner, times, self, schema.
boost::json::object ToV2Stub(const Task& task);

// An entry of GET /v2/images/{id}/tasks, shaped as Glance's database rows:
// microsecond timestamps without a zone, plus deleted / deleted_at.
boost::json::object ToImageTaskJson(const Task& task);

// The catalog's record of a task (JSON text) and back. InvalidArgument when the
// text is not a task record.
std::string EncodeTask(const Task& task);
Result<Task> DecodeTask(std::string_view text);

}  // namespace imagefs::wire
