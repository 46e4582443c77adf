// Random (version 4) UUIDs in the canonical lower-case 8-4-4-4-12 form.
#pragma once

#include <string>
#include <string_view>

namespace imagefs {

// Thread-safe.
std::string NewUuid();

// True for 8-4-4-4-12 hex digits in either case (Glance's schema pattern).
bool IsUuid(std::string_view s);

}  // namespace imagefs
