// The route groups issue 6 added to imaged: interoperable import and tasks,
// locations, stores, metadata definitions and the image cache.
#include "service/api/imports.h"
#include "service/api/metadefs.h"

namespace imagefs::service::api {

void AddInteropRoutes(http::Router& router, ServiceContext& ctx) {
  AddImportRoutes(router, ctx);
  AddTaskRoutes(router, ctx);
  AddMetadefRoutes(router, ctx);
}

}  // namespace imagefs::service::api
