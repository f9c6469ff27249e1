// Lower-case hexadecimal text of bytes, and back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otr {

// 0-15 for a hex digit (either case), -1 for any other character.
int hex_digit_value(char c);

// "00ff..." (two lower-case digits per byte).
std::string hex_encode(std::string_view bytes);

// The bytes of an even number of hex digits (either case); nullopt for anything else.
std::optional<std::string> hex_decode(std::string_view hex);

// A 32-byte key given as exactly 64 hex digits (`openssl rand -hex 32`); nullopt otherwise.
std::optional<std::string> decode_hex_key(std::string_view hex);

}  // namespace otr
