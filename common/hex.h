// Hexadecimal coding of bytes: the one implementation digests, URLs and GUID
// literals share. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace imagefs {

// The value 0-15 of one hex digit (either case), or -1 for any other character.
int HexDigitValue(char c);

// Lower-case hex, two digits a byte.
std::string ToHex(std::string_view raw);

// Decodes `hex` (either case) into `*raw`. Returns false, leaving `*raw` as it
// was, on odd length or a non-hex character.
bool FromHex(std::string_view hex, std::string* raw);

}  // namespace imagefs
