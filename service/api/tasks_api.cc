// The tasks API (spec 1.5.12, admin only) and GET /v2/images/{id}/tasks (1.5.6).
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "common/uuid.h"
#include "service/api/handler_util.h"
#include "service/api/images_v2.h"
#include "service/api/imports.h"
#include "service/api/task_runner.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

constexpr size_t kDefaultLimit = 25;
constexpr size_t kMaxLimit = 1000;

Status RequireTasksAccess(const Identity& caller) {
  if (caller.is_admin) return Status::Ok();
  return PermissionDenied("You are not authorized to complete tasks_api_access action.");
}

bool Expired(const wire::Task& t, int64_t now) { return t.expires_at && *t.expires_at <= now; }

// The live tasks; expired ones are deleted on the way (Glance does it lazily too).
Result<std::vector<wire::Task>> LiveTasks(ServiceContext& ctx) {
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Task> all, ctx.catalog.ListTasks());
  int64_t now = ctx.clock.WallMicros();
  std::vector<std::string> expired;
  std::vector<wire::Task> live;
  for (auto& t : all) {
    if (Expired(t, now)) {
      expired.push_back(t.id);
    } else {
      live.push_back(std::move(t));
    }
  }
  if (!expired.empty()) ctx.catalog.DeleteTasks(expired).IgnoreError();
  return live;
}

struct TaskQuery {
  size_t limit = kDefaultLimit;
  std::string marker;
  std::string sort_key = "created_at";
  bool ascending = false;
  std::optional<wire::TaskStatus> status;
  std::string type;
};

Result<TaskQuery> ParseTaskQuery(const http::Request& req) {
  TaskQuery q;
  for (const auto& [k, v] : req.query) {
    if (k == "limit") {
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q.limit);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
        return InvalidArgument("limit param must be an integer");
      }
      q.limit = std::min(q.limit, kMaxLimit);
    } else if (k == "marker") {
      if (!IsUuid(v)) return InvalidArgument("Invalid marker format");
      q.marker = v;
    } else if (k == "sort_key") {
      static const std::vector<std::string> kKeys = {"created_at", "updated_at", "id", "type",
                                                     "status", "owner", "expires_at"};
      if (std::find(kKeys.begin(), kKeys.end(), v) == kKeys.end()) {
        return InvalidArgument("Invalid sort_key: " + v + ". It must be one of the following: " +
                               "created_at, updated_at, id, type, status, owner, expires_at.");
      }
      q.sort_key = v;
    } else if (k == "sort_dir") {
      if (v != "asc" && v != "desc") {
        return InvalidArgument("Invalid sort direction: " + v + ". It must be one of the "
                               "following: asc, desc.");
      }
      q.ascending = v == "asc";
    } else if (k == "status") {
      q.status = wire::ParseTaskStatus(v);
      if (!q.status) return InvalidArgument("Invalid status value: " + v);
    } else if (k == "type") {
      if (v != "import") return InvalidArgument("Invalid type value: " + v);
      q.type = v;
    }
  }
  return q;
}

std::string SortValue(const wire::Task& t, const std::string& key) {
  if (key == "id") return t.id;
  if (key == "type") return t.type;
  if (key == "status") return std::string(wire::ToString(t.status));
  if (key == "owner") return t.owner;
  auto pad = [](int64_t v) {
    std::string s = std::to_string(v);
    return std::string(20 - std::min<size_t>(20, s.size()), '0') + s;
  };
  if (key == "updated_at") return pad(t.updated_at);
  if (key == "expires_at") return t.expires_at ? pad(*t.expires_at) : "";
  return pad(t.created_at);
}

Result<http::Response> ListTasks(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireTasksAccess(req.identity));
  IMAGEFS_ASSIGN_OR_RETURN(TaskQuery q, ParseTaskQuery(req));
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Task> tasks, LiveTasks(ctx));
  std::erase_if(tasks, [&](const wire::Task& t) {
    return (q.status && t.status != *q.status) || (!q.type.empty() && t.type != q.type);
  });
  std::sort(tasks.begin(), tasks.end(), [&](const wire::Task& a, const wire::Task& b) {
    std::string va = SortValue(a, q.sort_key), vb = SortValue(b, q.sort_key);
    if (va != vb) return q.ascending ? va < vb : va > vb;
    return q.ascending ? a.id < b.id : a.id > b.id;
  });
  auto begin = tasks.begin();
  if (!q.marker.empty()) {
    begin = std::find_if(tasks.begin(), tasks.end(), [&](const auto& t) { return t.id == q.marker; });
    if (begin == tasks.end()) return NotFound("Task with identifier " + q.marker + " not found");
    ++begin;
  }
  json::array page;
  for (auto it = begin; it != tasks.end() && page.size() < q.limit; ++it) page.push_back(wire::ToV2Stub(*it));
  json::object body{{"tasks", page}, {"first", "/v2/tasks"}, {"schema", "/v2/schemas/tasks"}};
  if (page.size() == q.limit && q.limit > 0) {
    body["next"] = "/v2/tasks?marker=" + std::string(page.back().at("id").as_string());
  }
  return JsonResponse(200, body);
}

Result<http::Response> ShowTask(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireTasksAccess(req.identity));
  const std::string& id = req.path_params[0];
  Result<wire::Task> task = ctx.catalog.GetTask(id);
  if (!task.ok() || Expired(*task, ctx.clock.WallMicros())) {
    return NotFound("Task with identifier " + id + " not found");
  }
  return JsonResponse(200, wire::ToV2Json(*task));
}

Result<http::Response> ImageTasks(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_RETURN_IF_ERROR(LoadVisibleImage(ctx, req.identity, id).status());
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Task> tasks, LiveTasks(ctx));
  std::sort(tasks.begin(), tasks.end(),
            [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
  json::array out;
  for (const auto& t : tasks) {
    if (t.image_id != id) continue;
    if (!req.identity.is_admin && t.owner != req.identity.project) continue;
    out.push_back(wire::ToImageTaskJson(t));
  }
  return JsonResponse(200, json::object{{"tasks", std::move(out)}});
}

http::RouteOptions Opts(std::string name, bool reject_body) {
  http::RouteOptions o;
  o.name = std::move(name);
  o.reject_body = reject_body;
  return o;
}

}  // namespace

Result<http::Response> CreateTask(ServiceContext& ctx, http::Request& req);  // tasks_create.cc

void AddTaskRoutes(http::Router& router, ServiceContext& ctx) {
  router.Add("GET", "/v2/tasks", [&ctx](http::Request& r) { return ListTasks(ctx, r); },
             Opts("GET /v2/tasks", true));
  router.Add("POST", "/v2/tasks", [&ctx](http::Request& r) { return CreateTask(ctx, r); },
             Opts("POST /v2/tasks", false));
  router.Add("GET", "/v2/tasks/{task_id}", [&ctx](http::Request& r) { return ShowTask(ctx, r); },
             Opts("GET /v2/tasks/{task_id}", true));
  router.Add("GET", "/v2/images/{image_id}/tasks",
             [&ctx](http::Request& r) { return ImageTasks(ctx, r); },
             Opts("GET /v2/images/{image_id}/tasks", true));
}

}  // namespace imagefs::service::api
