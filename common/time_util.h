// ISO-8601 timestamps, as the OpenStack APIs print and parse them. Times are
// microseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace imagefs {

// "2015-11-29T22:21:42Z" (second precision; Images API v2).
std::string FormatIsoZ(int64_t micros);

// "2020-12-18T05:20:38.000000" (microseconds, no zone; v1, Block Storage).
std::string FormatIsoMicros(int64_t micros);

// Parses "YYYY-MM-DD", "YYYY-MM-DDThh:mm", "YYYY-MM-DDThh:mm:ss[.ffffff]" (T or space),
// with an optional "Z", "+hh:mm", "-hh:mm" or "+hhmm" zone; no zone means UTC.
// InvalidArgument on anything else.
Result<int64_t> ParseIso(std::string_view text);

}  // namespace imagefs
