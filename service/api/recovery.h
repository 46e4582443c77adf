// Startup reconciliation of the catalog with the image store, after any stop,
// clean or not. Runs before the server accepts requests.
#pragma once

#include <cstddef>

#include "common/clock.h"
#include "common/result.h"
#include "service/catalog/catalog.h"
#include "service/store/image_store.h"

namespace imagefs::service::api {

struct RecoveryReport {
  size_t reset_to_queued = 0;  // uploads cut short (saving) returned to queued
  size_t orphans_removed = 0;  // committed bytes no image owns (deleted, never activated)
  size_t missing_data = 0;     // active images whose bytes are gone (logged as errors)
};

// 1. Deletes what unfinished uploads left in the store (RemoveIncomplete).
// 2. Returns every `saving` image to `queued`, clearing size and virtual_size.
// 3. Removes committed bytes whose image is unknown, deleted, or not active or
//    deactivated (a crash between the store commit and the catalog batch).
// 4. Reports active images without bytes (only a lost disk causes that).
Result<RecoveryReport> Recover(Catalog& catalog, ImageStore& store, Clock& clock);

}  // namespace imagefs::service::api
