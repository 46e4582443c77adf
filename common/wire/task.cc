#include "common/wire/task.h"

#include <boost/json.hpp>

#include "common/time_util.h"
#include "common/wire/image_codec.h"

namespace imagefs::wire {
namespace json = boost::json;

namespace {

// A JSON text as a value; null when empty or unparsable.
json::value ValueOf(const std::string& text) {
  if (text.empty()) return nullptr;
  Result<json::value> v = ParseJson(text);
  return v.ok() ? std::move(*v) : json::value(nullptr);
}

json::value OptMicrosIso(const std::optional<int64_t>& t) {
  return t ? json::value(FormatIsoMicros(*t)) : json::value(nullptr);
}

std::string StringAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

std::optional<int64_t> IntAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_int64()) return std::nullopt;
  return it->value().get_int64();
}

}  // namespace

std::string_view ToString(TaskStatus s) {
  switch (s) {
    case TaskStatus::kPending: return "pending";
    case TaskStatus::kProcessing: return "processing";
    case TaskStatus::kSuccess: return "success";
    case TaskStatus::kFailure: return "failure";
  }
  return "pending";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view s) {
  for (TaskStatus t : {TaskStatus::kPending, TaskStatus::kProcessing, TaskStatus::kSuccess,
                       TaskStatus::kFailure}) {
    if (ToString(t) == s) return t;
  }
  return std::nullopt;
}

json::object ToV2Stub(const Task& task) {
  json::object o{{"id", task.id},
                 {"type", task.type},
                 {"status", ToString(task.status)},
                 {"owner", task.owner},
                 {"created_at", FormatIsoZ(task.created_at)},
                 {"updated_at", FormatIsoZ(task.updated_at)},
                 {"self", "/v2/tasks/" + task.id},
                 {"schema", "/v2/schemas/task"}};
  if (task.expires_at) o["expires_at"] = FormatIsoZ(*task.expires_at);
  return o;
}

json::object ToV2Json(const Task& task) {
  json::object o = ToV2Stub(task);
  o["input"] = ValueOf(task.input_json);
  o["result"] = ValueOf(task.result_json);
  o["message"] = task.message;
  if (task.image_id) o["image_id"] = *task.image_id;
  if (!task.request_id.empty()) o["request_id"] = task.request_id;
  if (!task.user_id.empty()) o["user_id"] = task.user_id;
  return o;
}

json::object ToImageTaskJson(const Task& task) {
  return json::object{{"id", task.id},
                      {"type", task.type},
                      {"status", ToString(task.status)},
                      {"owner", task.owner},
                      {"image_id", task.image_id ? json::value(*task.image_id) : nullptr},
                      {"request_id", task.request_id},
                      {"user_id", task.user_id},
                      {"expires_at", OptMicrosIso(task.expires_at)},
                      {"created_at", FormatIsoMicros(task.created_at)},
                      {"updated_at", FormatIsoMicros(task.updated_at)},
                      {"deleted_at", nullptr},
                      {"deleted", false},
                      {"input", ValueOf(task.input_json)},
                      {"result", ValueOf(task.result_json)},
                      {"message", task.message}};
}

std::string EncodeTask(const Task& task) {
  json::object o{{"id", task.id},           {"type", task.type},
                 {"status", ToString(task.status)}, {"owner", task.owner},
                 {"user_id", task.user_id}, {"request_id", task.request_id},
                 {"input", task.input_json}, {"result", task.result_json},
                 {"message", task.message}, {"created_at", task.created_at},
                 {"updated_at", task.updated_at}};
  if (task.image_id) o["image_id"] = *task.image_id;
  if (task.expires_at) o["expires_at"] = *task.expires_at;
  return json::serialize(o);
}

Result<Task> DecodeTask(std::string_view text) {
  Result<json::value> v = ParseJson(text);
  if (!v.ok() || !v->is_object()) return InvalidArgument("task record is not a JSON object");
  const json::object& o = v->get_object();
  Task t;
  t.id = StringAt(o, "id");
  std::optional<TaskStatus> status = ParseTaskStatus(StringAt(o, "status"));
  std::optional<int64_t> created = IntAt(o, "created_at");
  std::optional<int64_t> updated = IntAt(o, "updated_at");
  if (t.id.empty() || !status || !created || !updated) {
    return InvalidArgument("task record lacks id, status or times");
  }
  t.status = *status;
  t.created_at = *created;
  t.updated_at = *updated;
  t.type = StringAt(o, "type");
  t.owner = StringAt(o, "owner");
  t.user_id = StringAt(o, "user_id");
  t.request_id = StringAt(o, "request_id");
  t.input_json = StringAt(o, "input");
  t.result_json = StringAt(o, "result");
  t.message = StringAt(o, "message");
  if (o.contains("image_id")) t.image_id = StringAt(o, "image_id");
  t.expires_at = IntAt(o, "expires_at");
  return t;
}

}  // namespace imagefs::wire
