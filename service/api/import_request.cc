#include "service/api/import_request.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "common/uuid.h"
#include "service/api/handler_util.h"
#include "service/api/images_v2.h"
#include "service/http/client.h"
#include "service/store/http_store.h"
#include "service/store/store_set.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

using wire::ImageStatus;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string StringAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// The body's own checks (Glance's RequestDeserializer).
Status ParseBody(const ServiceContext& ctx, const json::value& body, ImportRequest* r) {
  const json::object* o = body.if_object();
  const json::value* method = o != nullptr ? o->if_contains("method") : nullptr;
  if (method == nullptr) return InvalidArgument("Import request requires a 'method' field.");
  const json::object* m = method->if_object();
  if (m == nullptr || !m->contains("name")) {
    return InvalidArgument("Import request requires a 'name' field.");
  }
  r->method = StringAt(*m, "name");
  const auto& enabled = ctx.config.import_methods;
  if (std::find(enabled.begin(), enabled.end(), r->method) == enabled.end()) {
    return InvalidArgument("Unknown import method name '" + r->method + "'.");
  }
  for (std::string_view key : {"all_stores_must_succeed", "all_stores"}) {
    if (const json::value* v = o->if_contains(key); v != nullptr && !v->is_bool()) {
      return InvalidArgument("'" + std::string(key) + "' must be boolean value only");
    }
  }
  if (const json::value* v = o->if_contains("all_stores_must_succeed")) {
    r->all_stores_must_succeed = v->get_bool();
  }
  r->uri = StringAt(*m, "uri");
  r->body = body;
  return Status::Ok();
}

Status CheckStatus(const wire::Image& img, const std::string& method) {
  bool copy = method == kCopyImage;
  if (img.status == ImageStatus::kActive && !copy) {
    return FailedPrecondition("Image with status active cannot be target for import");
  }
  if (img.status != ImageStatus::kActive && copy) {
    return FailedPrecondition("Only images with status active can be targeted for copying");
  }
  if (img.status != ImageStatus::kQueued && (method == kWebDownload || method == kGlanceDownload)) {
    return FailedPrecondition("Image needs to be in 'queued' state to use '" + method + "' method");
  }
  if (img.status != ImageStatus::kUploading && method == kGlanceDirect) {
    return FailedPrecondition("Image needs to be staged before 'glance-direct' method can be used");
  }
  if (!img.container_format) {
    return FailedPrecondition("'container_format' needs to be set before import");
  }
  if (!img.disk_format) return FailedPrecondition("'disk_format' needs to be set before import");
  return Status::Ok();
}

Status ParseRemote(const json::object& method, ImportRequest* r) {
  if (!method.contains("glance_region")) {
    return InvalidArgument("'glance_region' needs to be set for glance-download import method");
  }
  if (!method.contains("glance_image_id")) {
    return InvalidArgument("'glance_image_id' needs to be set for glance-download import method");
  }
  r->remote_region = StringAt(method, "glance_region");
  r->remote_image_id = StringAt(method, "glance_image_id");
  if (!IsUuid(r->remote_image_id)) {
    return InvalidArgument("Remote image id does not look like a UUID: " + r->remote_image_id);
  }
  if (std::string i = StringAt(method, "glance_service_interface"); !i.empty()) {
    r->remote_interface = i;
  }
  return Status::Ok();
}

// The lock check (_enforce_import_lock): a running task's lock refuses the import.
Status CheckLock(ServiceContext& ctx, const wire::Image& img, ImportRequest* r) {
  auto lock = img.properties.find("os_glance_import_task");
  if (lock == img.properties.end() || lock->second.empty()) return Status::Ok();
  Result<wire::Task> holder = ctx.catalog.GetTask(lock->second);
  if (holder.ok() && !holder->finished()) {
    return FailedPrecondition("Image " + img.id + " has active task " + lock->second);
  }
  r->stale_lock = lock->second;
  return Status::Ok();
}

std::vector<std::string> AllStoreIds(const ServiceContext& ctx) {
  if (ctx.stores != nullptr) return ctx.stores->ids();
  return {ctx.store.id()};
}

// The target stores (Glance's get_stores_from_request), copy-image's filtering.
Status ResolveStores(const ServiceContext& ctx, const http::Request& req, const wire::Image& img,
                     ImportRequest* r) {
  const json::object& o = r->body.get_object();
  bool all = o.contains("all_stores") && o.at("all_stores").get_bool();
  const json::value* listed = o.if_contains("stores");
  auto header = req.Header("X-Image-Meta-Store");
  if (all && (listed != nullptr || header)) {
    return InvalidArgument(
        "All_stores parameter can't be used with x-image-meta-store header or stores parameter");
  }
  std::vector<std::string> known = AllStoreIds(ctx);
  if (all) {
    r->stores = known;
  } else if (listed != nullptr) {
    if (!listed->is_array()) return InvalidArgument("'stores' must be a list of store ids");
    for (const auto& s : listed->get_array()) {
      r->stores.push_back(s.is_string() ? std::string(s.get_string()) : json::serialize(s));
    }
  } else {
    r->stores = {header ? std::string(*header) : ctx.store.id()};
  }
  for (const auto& s : r->stores) {
    if (std::find(known.begin(), known.end(), s) == known.end()) {
      return FailedPrecondition("Unknown scheme '" + s + "' found in URI");
    }
  }
  if (r->method != kCopyImage) return Status::Ok();
  for (const auto& held : img.stores) {
    auto it = std::find(r->stores.begin(), r->stores.end(), held);
    if (it == r->stores.end()) continue;
    if (!all) return InvalidArgument("Image is already present at store '" + held + "'");
    r->stores.erase(it);
  }
  return Status::Ok();
}

Status CheckUri(const ServiceContext& ctx, const std::string& uri) {
  Status ok = ctx.http_store != nullptr ? ctx.http_store->CheckUrl(uri)
                                        : Unavailable("no http access configured");
  if (!ok.ok()) return InvalidArgument("URI for web-download does not pass filtering: " + uri);
  return Status::Ok();
}

}  // namespace

Result<ImportRequest> ParseImportRequest(ServiceContext& ctx, const http::Request& req,
                                         const json::value& body, const std::string& id) {
  ImportRequest r;
  IMAGEFS_RETURN_IF_ERROR(ParseBody(ctx, body, &r));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadVisibleImage(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(CheckStatus(img, r.method));
  if (r.method == kGlanceDownload) {
    IMAGEFS_RETURN_IF_ERROR(ParseRemote(body.at("method").get_object(), &r));
  }
  if (r.method == kCopyImage) {
    if (!req.identity.is_admin) {
      return PermissionDenied("You are not authorized to complete copy_image action.");
    }
  } else {
    if (!MayWrite(req.identity, img)) return PermissionDenied("You do not own this image");
    IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "modify_image"));
  }
  IMAGEFS_RETURN_IF_ERROR(CheckLock(ctx, img, &r));
  IMAGEFS_RETURN_IF_ERROR(ResolveStores(ctx, req, img, &r));
  bool multi = ctx.stores != nullptr && ctx.stores->multi_store();
  if (!r.all_stores_must_succeed && !multi) {
    return InvalidArgument("All_stores_must_succeed can only be set with enabled_backends " +
                           r.uri);
  }
  if (r.method == kWebDownload) IMAGEFS_RETURN_IF_ERROR(CheckUri(ctx, r.uri));
  return r;
}

ImportPlan ToPlan(const ImportRequest& request, const http::Request& req, const std::string& id,
                  const std::string& task_id) {
  ImportPlan plan;
  plan.image_id = id;
  plan.method = request.method;
  plan.uri = request.uri;
  plan.remote_image_id = Lower(request.remote_image_id);
  plan.remote_region = request.remote_region;
  plan.remote_interface = request.remote_interface;
  plan.auth_token = std::string(req.Header("X-Auth-Token").value_or(""));
  plan.stores = request.stores;
  plan.all_stores_must_succeed = request.all_stores_must_succeed;
  plan.task_id = task_id;
  return plan;
}

}  // namespace imagefs::service::api
