// The legacy Images API v1 (spec 2): metadata travels in x-image-meta-* headers,
// lists are {"images": [...]} without links, sharing is by membership with can_share.
// It works on the same catalog as v2; how v1 concepts map onto it is in docs/api.md.
#pragma once

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/wire/image.h"
#include "service/api/context.h"
#include "service/http/message.h"
#include "service/http/router.h"

namespace imagefs::service::api {

// The metadata headers of a v1 request.
struct V1Meta {
  // Core fields by name (lower-case, '-' read as '_'): "name", "disk_format", ...
  std::map<std::string, std::string> core;
  // Custom properties; an empty header value means null (the property goes).
  std::map<std::string, std::optional<std::string>> properties;
};

// 400 "Bad header: x-image-meta-<x>" for an x-image-meta-* header that is neither a
// known core field nor a property.
Result<V1Meta> ParseV1Meta(const http::HeaderList& headers);

// Python's lenient bool: true/1/yes/on/y/t in any case is true, anything else false.
bool V1Bool(std::string_view value);

// {"id", "name", "status", "size", ..., "properties": {...}} (detail form).
boost::json::object V1ImageJson(const wire::Image& image);

// x-image-meta-* response headers (and ETag) of an image.
void AddV1Headers(const wire::Image& image, http::Response& resp);

void AddImagesV1Routes(http::Router& router, ServiceContext& ctx);
void AddMembersV1Routes(http::Router& router, ServiceContext& ctx);

}  // namespace imagefs::service::api
