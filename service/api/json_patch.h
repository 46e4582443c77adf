// The two JSON-patch dialects of PATCH /v2/images/{id} (spec 1.7):
//   application/openstack-images-v2.1-json-patch  [{"op": "replace", "path": "/name", "value": "x"}]
//   application/openstack-images-v2.0-json-patch  [{"replace": "/name", "value": "x"}]
// Parsing checks the operation shapes and the JSON pointers; what each operation
// means for an image is applied by the PATCH handler.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace imagefs::service::api {

enum class PatchDialect { kV20, kV21 };

struct PatchOp {
  enum class Kind { kAdd, kReplace, kRemove };
  Kind kind = Kind::kReplace;
  std::string pointer;            // as sent, e.g. "/a~1b"
  std::vector<std::string> path;  // decoded segments, e.g. {"a/b"}
  std::optional<boost::json::value> value;
};

// The dialect named by a Content-Type (parameters such as charset ignored), or
// nullopt for any other media type (the handler answers 415 with Accept-Patch).
std::optional<PatchDialect> PatchDialectOf(std::string_view content_type);

inline constexpr std::string_view kAcceptPatch =
    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch";

// InvalidArgument, with Glance's messages, for anything that is not a list of
// well-formed operations; pointers must have exactly one segment, except
// /locations/<i|-> for add/remove.
Result<std::vector<PatchOp>> ParsePatch(PatchDialect dialect, const boost::json::value& body);

}  // namespace imagefs::service::api
