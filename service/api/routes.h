// Route tables of imaged, one function per API area. Each adds its routes to the
// router; the handlers capture the ServiceContext by reference.
#pragma once

#include "service/api/context.h"
#include "service/http/router.h"

namespace imagefs::service::api {

// /v2/schemas/*, /v2/info/*, /v2/images/{id}/blocks is in the data routes.
void AddDiscoveryRoutes(http::Router& router, ServiceContext& ctx);
// POST/GET /v2/images, GET/PATCH/DELETE /v2/images/{id}, tags, actions.
void AddImageRoutes(http::Router& router, ServiceContext& ctx);
// PUT/GET /v2/images/{id}/file, GET /v2/images/{id}/blocks.
void AddImageDataRoutes(http::Router& router, ServiceContext& ctx);
// /v2/images/{id}/members[/{member_id}].
void AddMemberRoutes(http::Router& router, ServiceContext& ctx);
// The compute API's image proxy, /v2.1/{project_id}/images...
void AddComputeImageRoutes(http::Router& router, ServiceContext& ctx);

// The versions document (GET / answers 300 with it, GET /versions 200).
http::Response VersionsResponse(const ServiceContext& ctx, int status, std::string_view base_url);

}  // namespace imagefs::service::api
