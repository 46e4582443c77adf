// JSON forms of the Images API v2 entities (Boost.JSON). The service renders with
// these and the mount parses with them, so both sides agree on one codec.
// Nothing here throws: parse errors come back as InvalidArgument.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::wire {

struct RenderOptions {
  bool show_locations = false;   // `locations` (show_multiple_locations)
  bool show_direct_url = false;  // `direct_url` (show_image_direct_url)
  bool multi_store = false;      // `stores` when the image has data
};

// The base (schema) properties of an image, i.e. keys that are not custom properties.
bool IsBaseProperty(std::string_view key);

// Glance v2 representation: custom properties first, then the base keys (null when
// unset), `self`, `file`, `schema`.
boost::json::object ToV2Json(const Image& image, const RenderOptions& options = {});
std::string SerializeV2Image(const Image& image, const RenderOptions& options = {});

// Parses one v2 image object (as the service renders it). Unknown keys become
// custom properties when their values are strings; the rest are ignored.
Result<Image> ParseV2ImageValue(const boost::json::value& v);
Result<Image> ParseV2Image(std::string_view json);

// A page of GET /v2/images: the images and the `next` link ("" when absent).
struct ImagePage {
  std::vector<Image> images;
  std::string next;
};
Result<ImagePage> ParseV2ImagePage(std::string_view json);

boost::json::object ToV2Json(const Member& member);
Result<Member> ParseV2Member(const boost::json::value& v);
Result<std::vector<Member>> ParseV2MemberList(std::string_view json);

// {"image_id", "content_key", "size", "block_size", "algorithm", "digests": [hex...],
//  "crc32c": ["1a2b3c4d", ...]}; "crc32c" (8 hex digits a block) only when known.
boost::json::object ToJson(const BlockMap& map);
Result<BlockMap> ParseBlockMap(std::string_view json);

// Parses JSON text without throwing.
Result<boost::json::value> ParseJson(std::string_view text);

}  // namespace imagefs::wire
