// Extended attributes of image files <-> image fields and JSON-patch operations
// (docs/semantics.md §5). Pure functions over wire::Image; no I/O.
//
//   user.x-image-meta-<field>           core fields (table in xattr_map.cc)
//   user.x-image-meta-property-<key>    custom properties
//
// Status codes returned (the adapter maps them to errno, see fuse_adapter.cc):
//   NotFound            -> ENODATA  no such attribute on this image
//   FailedPrecondition  -> EPERM    the field is read-only
//   InvalidArgument     -> EINVAL   the value does not parse for the field
//   Unimplemented       -> ENOTSUP  a namespace the mount does not store (user.other,
//                                   security.*, system.*, trusted.*)
//   AlreadyExists       -> EEXIST   XATTR_CREATE on an existing attribute
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::fs {

inline constexpr std::string_view kMetaPrefix = "user.x-image-meta-";
inline constexpr std::string_view kPropertyPrefix = "user.x-image-meta-property-";

// True for names outside user.*: security.*, system.*, trusted.* and anything else.
// They are answered at once (ENODATA / ENOTSUP) with no request.
bool IsForeignNamespace(std::string_view name);

// The attribute names an image carries, in a fixed order: core fields with a value,
// then properties sorted by key.
std::vector<std::string> ListXattrNames(const wire::Image& image);

// The value of one attribute. NotFound when the image has no such attribute.
Result<std::string> GetXattr(const wire::Image& image, std::string_view name);

// The body of the PATCH (application/openstack-images-v2.1-json-patch) that setting
// `name` to `value` asks for. `flags` are setxattr(2)'s XATTR_CREATE / XATTR_REPLACE.
Result<std::string> PlanSetXattr(const wire::Image& image, std::string_view name,
                                 std::string_view value, int flags);

// The PATCH body that removing `name` asks for. Only properties can be removed.
Result<std::string> PlanRemoveXattr(const wire::Image& image, std::string_view name);

// Parses a boolean value as the xattrs accept it: true/false, yes/no, on/off, 1/0
// (any case).
Result<bool> ParseBoolValue(std::string_view value);

// Escapes a JSON-pointer reference token ("~" -> "~0", "/" -> "~1").
std::string JsonPointerToken(std::string_view key);

}  // namespace imagefs::fs
