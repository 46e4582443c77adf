// The RocksDB key layout of the catalog. Everything lives in the default column
// family; each key starts with a short prefix naming the record kind:
//
//   meta/format              -> "1": the layout version, written when the database is created
//   img/<image_id>           -> image record (record_codec.h), deleted images included
//   mem/<image_id>/<member>  -> member record of one membership
//   blk/<image_id>           -> block map record (only for images that have data)
//   task/<task_id>           -> task record (wire::EncodeTask, JSON)
//   doc/<kind>/<key>         -> a document of another API area (metadefs), JSON
//
// Image ids never contain '/' (CreateImage refuses them), so the member id is
// everything after the second '/' and may contain anything. The reverse index
// "memberships of a project" is not stored: it is rebuilt in memory at open from
// the mem/ records, so it can never disagree with them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace imagefs::service::catalog {

inline constexpr std::string_view kFormatKey = "meta/format";
inline constexpr std::string_view kFormatVersion = "1";
inline constexpr std::string_view kImagePrefix = "img/";
inline constexpr std::string_view kMemberPrefix = "mem/";
inline constexpr std::string_view kBlockMapPrefix = "blk/";
inline constexpr std::string_view kTaskPrefix = "task/";
inline constexpr std::string_view kDocumentPrefix = "doc/";

std::string ImageKey(std::string_view image_id);
std::string BlockMapKey(std::string_view image_id);
std::string MemberKey(std::string_view image_id, std::string_view member_id);

// "mem/<image_id>/": the prefix of every member key of one image.
std::string MemberKeyPrefix(std::string_view image_id);

// The (image_id, member_id) of a member key; nullopt when `key` is not one.
std::optional<std::pair<std::string, std::string>> ParseMemberKey(std::string_view key);

std::string TaskKey(std::string_view task_id);
// "doc/<kind>/" and "doc/<kind>/<key>". `kind` holds no '/'.
std::string DocumentPrefix(std::string_view kind);
std::string DocumentKey(std::string_view kind, std::string_view key);

// True when `id` can be used as an image id in a key (non-empty, no '/', no NUL).
bool IsStorableImageId(std::string_view id);

}  // namespace imagefs::service::catalog
