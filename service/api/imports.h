// Interoperable image import (spec 1.5.10): PUT /v2/images/{id}/stage and POST
// /v2/images/{id}/import, the background import jobs, and the tasks that report on
// them (GET /v2/tasks, GET /v2/images/{id}/tasks).
//
// An accepted import writes ONE catalog batch: the task (api_image_import, with the
// request's id) and the image's move to `importing` (copy-image: it stays active),
// holding the import lock `os_glance_import_task` and listing the target stores in
// `os_glance_importing_to_stores`. A TaskRunner thread then fetches the bytes
// (staging area, web server, remote image service, or the image's own store),
// stores them through the upload path (hashing, format check, durable commit) and
// activates the image in one batch (upload.h). Each store that fails is listed in
// `os_glance_failed_import`; when the import fails the image returns to `queued`
// (copy-image: stays active), the lock is released and the task ends in failure.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/wire/task.h"
#include "service/api/context.h"
#include "service/http/message.h"
#include "service/http/router.h"

namespace imagefs::service::api {

// The import methods imaged can run (glance-download needs Keystone mode).
inline constexpr const char* kGlanceDirect = "glance-direct";
inline constexpr const char* kWebDownload = "web-download";
inline constexpr const char* kCopyImage = "copy-image";
inline constexpr const char* kGlanceDownload = "glance-download";

// What one accepted import does.
struct ImportPlan {
  std::string image_id;
  std::string method;
  std::string uri;                  // web-download
  std::string remote_image_id;      // glance-download
  std::string remote_region;        // glance-download
  std::string remote_interface;     // glance-download; default "public"
  std::string auth_token;           // glance-download: the caller's token
  std::vector<std::string> stores;  // targets, in order
  bool all_stores_must_succeed = true;
  std::string task_id;
  std::string success_result_json;  // the task's result on success ("" = null)
};

// A new import task (processing) for `image_id`, owned by the caller; its input is
// what Glance records: image_id, import_req (as sent) and backend (`stores`).
wire::Task NewImportTask(const ServiceContext& ctx, const http::Request& req,
                         const std::string& image_id, const boost::json::value& import_req,
                         const std::vector<std::string>& stores);

// The one batch that starts an import of `image_id`: `task` is written, the image
// takes the lock (os_glance_import_task; a lock held by `stale_lock` may be taken
// over, any other is 409), lists `stores` in os_glance_importing_to_stores, and
// moves to importing (copy-image: stays as it is).
Status BeginImport(ServiceContext& ctx, const std::string& image_id, const std::string& method,
                   const std::vector<std::string>& stores, const std::string& stale_lock,
                   const wire::Task& task);

// Runs `plan` to its end (the TaskRunner calls this). Never fails: the outcome is
// recorded in the task and the image.
void RunImport(ServiceContext& ctx, const ImportPlan& plan);

// Startup: tasks left pending or processing by a stop end in failure, and their
// images return from importing to queued with the lock released.
Status RecoverImports(Catalog& catalog, Clock& clock);

// Ends `task_id` (success when `failure` is empty) and stamps expires_at.
void FinishTask(ServiceContext& ctx, const std::string& task_id, const std::string& failure,
                const std::string& result_json = "");

// The routes of this area, and of the others issue 6 added (locations, stores,
// metadefs, cache): imaged's app calls this once.
void AddInteropRoutes(http::Router& router, ServiceContext& ctx);

// Route groups (each in its own file).
void AddImportRoutes(http::Router& router, ServiceContext& ctx);    // images_v2_import.cc
void AddTaskRoutes(http::Router& router, ServiceContext& ctx);      // tasks_api.cc

}  // namespace imagefs::service::api
