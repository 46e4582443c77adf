// The Block Storage v3 backups API of imaged (spec section 4), whose subject is an
// image: /v3/{project_id}/backups..., the same under /volume/v3 (where devstack
// mounts Cinder, and where cinderclient's version discovery finds Cinder's
// versions document at /volume/), and GET /v3/ (the v3 version document).
#pragma once

#include "service/api/context.h"
#include "service/http/router.h"

namespace imagefs::service::api {

// Adds the backup routes; they answer 503 when ctx.backups is null.
void AddBackupRoutes(http::Router& router, ServiceContext& ctx);

}  // namespace imagefs::service::api
