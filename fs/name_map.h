// How image names become file names under images/ (docs/semantics.md §2).
//
// Encoding (reversible): '%' -> "%25", '/' -> "%2F", bytes 0x00-0x1F and 0x7F -> "%XX"
// (upper-case hex); a name that is exactly "." or ".." becomes "%2E" / "%2E%2E".
// An image without a name (null or "") is named by its id.
//
// Disambiguation (stable: depends only on the set of (id, name) pairs, never on the
// order they arrive in): when several images share an encoded name, EVERY one of
// them is shown as "<name>~<first 8 characters of its id>". If that still collides
// (an image literally named "x~1234abcd", or two ids sharing 8 characters), the
// colliding suffixed entries use the whole id: "<name>~<id>". Names longer than
// NAME_MAX (255 bytes) are cut at a character boundary and always carry the suffix.
// An entry that would still collide after that is left out of images/ (it stays
// reachable as by-id/<id>) and is reported in NameAssignment::omitted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace imagefs::fs {

inline constexpr size_t kNameMax = 255;

std::string EncodeName(std::string_view name);

// Inverse of EncodeName for names it produced ("%2F" -> "/"); nullopt when `file_name`
// holds a malformed escape or an unescaped character EncodeName would have escaped.
std::optional<std::string> DecodeName(std::string_view file_name);

struct NamedImage {
  std::string id;
  std::optional<std::string> name;
};

struct NameAssignment {
  std::unordered_map<std::string, std::string> id_to_name;  // id -> entry name
  std::vector<std::string> omitted;                         // ids left out of images/
};

NameAssignment AssignNames(const std::vector<NamedImage>& images);

}  // namespace imagefs::fs
