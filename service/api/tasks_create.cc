// POST /v2/tasks (spec 1.5.12): the legacy "import" task, which creates an image
// from `image_properties` and fills it from the http:// URL `import_from`, as a
// web-download import; the task's result names the new image.
#include <boost/json.hpp>

#include "common/uuid.h"
#include "service/api/handler_util.h"
#include "service/api/imports.h"
#include "service/api/task_runner.h"
#include "service/store/http_store.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

struct LegacyImport {
  json::object input;
  std::string import_from;
};

Result<LegacyImport> ParseTaskBody(const json::value& body) {
  const json::object* o = body.if_object();
  if (o == nullptr) return InvalidArgument("Request body must be a JSON object.");
  const json::value* type = o->if_contains("type");
  const json::value* input = o->if_contains("input");
  if (type == nullptr) return InvalidArgument("Task type is required.");
  if (input == nullptr) return InvalidArgument("Task input is required.");
  if (!type->is_string() || (type->get_string() != "import" &&
                             type->get_string() != "api_image_import" &&
                             type->get_string() != "location_import")) {
    return InvalidArgument("Provided object does not match schema 'task': " +
                           json::serialize(*type) +
                           " is not one of ['import', 'api_image_import', 'location_import']");
  }
  if (type->get_string() != "import") {
    return InvalidArgument("Task type " + std::string(type->get_string()) +
                           " cannot be created through the tasks API");
  }
  if (!input->is_object()) return InvalidArgument("Task input must be an object.");
  LegacyImport li;
  li.input = input->get_object();
  const json::value* from = li.input.if_contains("import_from");
  if (from == nullptr || !from->is_string()) return InvalidArgument("Invalid import_from.");
  li.import_from = std::string(from->get_string());
  return li;
}

// The new image, from the task input's image_properties.
wire::Image ImageOf(const ServiceContext& ctx, const json::object& input, const Identity& caller) {
  wire::Image img;
  img.id = NewUuid();
  img.owner = caller.project;
  img.visibility = wire::Visibility::kPrivate;
  img.created_at = img.updated_at = ctx.clock.WallMicros();
  const json::value* props = input.if_contains("image_properties");
  if (props == nullptr || !props->is_object()) return img;
  for (const auto& kv : props->get_object()) {
    if (!kv.value().is_string()) continue;
    std::string v(kv.value().get_string());
    if (kv.key() == "name") {
      img.name = v;
    } else if (kv.key() == "disk_format") {
      img.disk_format = v;
    } else if (kv.key() == "container_format") {
      img.container_format = v;
    } else if (!wire::IsBaseProperty(kv.key()) && kv.key().find("os_glance") != 0) {
      img.properties[std::string(kv.key())] = v;
    }
  }
  return img;
}

}  // namespace

Result<http::Response> CreateTask(ServiceContext& ctx, http::Request& req) {
  if (!req.identity.is_admin) {
    return PermissionDenied("You are not authorized to complete tasks_api_access action.");
  }
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(LegacyImport li, ParseTaskBody(body));
  if (ctx.http_store == nullptr || !ctx.http_store->CheckUrl(li.import_from).ok()) {
    return InvalidArgument("URI for web-download does not pass filtering: " + li.import_from);
  }
  if (ctx.tasks == nullptr) return Unavailable("imaged runs no background tasks");
  wire::Image image = ImageOf(ctx, li.input, req.identity);
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.CreateImage(image));
  wire::Task task;
  task.id = NewUuid();
  task.type = "import";
  task.status = wire::TaskStatus::kProcessing;
  task.owner = req.identity.project;
  task.user_id = req.identity.user;
  task.request_id = req.request_id;
  task.input_json = json::serialize(li.input);
  task.created_at = task.updated_at = ctx.clock.WallMicros();
  ImportPlan plan;
  plan.image_id = image.id;
  plan.method = kWebDownload;
  plan.uri = li.import_from;
  plan.stores = {ctx.store.id()};
  plan.task_id = task.id;
  plan.success_result_json = json::serialize(json::object{{"image_id", image.id}});
  IMAGEFS_RETURN_IF_ERROR(BeginImport(ctx, image.id, plan.method, plan.stores, "", task));
  Status queued = ctx.tasks->Submit([&ctx, plan](std::stop_token) { RunImport(ctx, plan); });
  if (!queued.ok()) FinishTask(ctx, task.id, queued.message());
  http::Response resp = JsonResponse(201, wire::ToV2Json(task));
  resp.SetHeader("Location", req.base_url + "/v2/tasks/" + task.id);
  return resp;
}

}  // namespace imagefs::service::api
