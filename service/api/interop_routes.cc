// The route groups issue 6 added to imaged: interoperable import and tasks,
// locations, stores, metadata definitions and the image cache.
#include "service/api/imports.h"

namespace imagefs::service::api {

void AddInteropRoutes(http::Router& router, ServiceContext& ctx) {
  AddImportRoutes(router, ctx);
  AddTaskRoutes(router, ctx);
}

}  // namespace imagefs::service::api
