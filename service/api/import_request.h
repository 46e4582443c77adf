// Validation of POST /v2/images/{id}/import (spec 1.5.10), in Glance's order:
// body (400), image (404), status and formats (409), glance-download parameters
// (400), policy (403), the import lock (409), stores (409 unknown, 400 misuse), and
// the web-download URI filter (400). Internal to the import handlers.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "common/result.h"
#include "service/api/context.h"
#include "service/api/imports.h"
#include "service/http/message.h"

namespace imagefs::service::api {

struct ImportRequest {
  boost::json::value body;  // as sent: the task's import_req
  std::string method;
  std::string uri;
  std::string remote_image_id;
  std::string remote_region;
  std::string remote_interface = "public";
  std::vector<std::string> stores;  // targets; empty: copy-image has nothing to do
  bool all_stores_must_succeed = true;
  // The id of a finished (or vanished) task still named by os_glance_import_task:
  // its lock may be taken over.
  std::string stale_lock;
};

Result<ImportRequest> ParseImportRequest(ServiceContext& ctx, const http::Request& req,
                                         const boost::json::value& body, const std::string& id);

// The plan the background job runs.
ImportPlan ToPlan(const ImportRequest& request, const http::Request& req, const std::string& id,
                  const std::string& task_id);

}  // namespace imagefs::service::api
