// The /locations operations of PATCH /v2/images/{id} (spec 1.7), used by
// images_v2_update.cc. Checking a location reaches the network (HEAD), so it runs
// before the catalog update; applying the operations is pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/api/context.h"
#include "service/api/json_patch.h"

namespace imagefs::service::api {

// The size of the data at each URL the patch adds.
using LocationSizes = std::map<std::string, uint64_t>;

// For every add/replace of /locations: 400 "Invalid location" unless the URL is
// http:// on an allowed host and answers a HEAD with a size.
Result<LocationSizes> ProbeLocations(ServiceContext& ctx, const std::vector<PatchOp>& ops);

// Applies one /locations operation to `img` (spec 1.7): 403 when locations are not
// shown, 400/403/409/413 as the spec says.
Status ApplyLocationOp(const ServiceContext& ctx, const LocationSizes& sizes, const PatchOp& op,
                       int64_t now, wire::Image& img);

}  // namespace imagefs::service::api
