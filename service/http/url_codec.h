// Request-target parsing for the HTTP layer: splits a target into path and query and
// percent-decodes them. Internal to service/http/.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imagefs::service::http {

// Appends the percent-decoded `in` to `out`. "%XX" with two hex digits becomes that
// byte; a '%' not followed by two hex digits is kept literally (as Python's unquote).
// With `plus_as_space`, '+' becomes ' ' (query strings, form encoding).
void PercentDecodeAppend(std::string_view in, bool plus_as_space, std::string* out);

// The parts of a request-target. Origin-form ("/a/b?x=1") and absolute-form
// ("http://host/a/b?x=1") give the path and query; anything else (e.g. "*") is the
// path itself. A fragment ("#...") is never part of the path or query.
struct TargetParts {
  std::string_view path;   // still encoded
  std::string_view query;  // without '?', still encoded
};
TargetParts SplitTarget(std::string_view target);

// Decodes a query string into (name, value) pairs in order: pieces split on '&',
// each split at its first '=' (a piece without '=' has an empty value), '+' and
// %XX decoded, empty pieces skipped. Reuses the capacity of `out`'s elements.
void ParseQuery(std::string_view query, std::vector<std::pair<std::string, std::string>>* out);

}  // namespace imagefs::service::http
