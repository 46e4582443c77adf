// The image schema: one table of the image's properties that both renders the
// /v2/schemas/* documents and validates request values (create bodies, PATCH values,
// tags), so what the server announces and what it enforces cannot drift apart.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "common/status.h"

namespace imagefs::service::api {

// GET /v2/schemas/image, /images, /member, /members, /task, /tasks.
// `multi_store` adds the read-only `stores` property (kept out otherwise: the
// glance client turns it into a --stores option that clashes with its own).
boost::json::value ImageSchema(bool multi_store);
boost::json::value ImagesSchema(bool multi_store);
boost::json::value MemberSchema();
boost::json::value MembersSchema();
boost::json::value TaskSchema();
boost::json::value TasksSchema();

// Validates one property value against the schema: `key` a base property or a
// typed/untyped custom property. InvalidArgument with Glance's style of message
// ("Provided object does not match schema 'image': 42 is not of type 'string'").
Status ValidateProperty(std::string_view key, const boost::json::value& value);

// True for the properties clients may never set (read-only in the schema).
bool IsReadOnlyProperty(std::string_view key);
// True for reserved names: location, deleted, deleted_at, and the os_glance namespace.
bool IsReservedProperty(std::string_view key);

}  // namespace imagefs::service::api
