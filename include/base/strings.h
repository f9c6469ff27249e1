// Small text helpers, written once: ASCII case folding, trimming, splitting, percent-encoding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otr {

// ASCII lower case (names, hostnames, header and parameter names; never locale-dependent).
std::string to_lower(std::string_view text);

// Without leading and trailing spaces, tabs, CR and LF.
std::string trim(std::string_view text);

// The parts between `separator`s; "" gives {""} and "a," gives {"a", ""}.
std::vector<std::string> split(std::string_view text, char separator);

// Percent-encodes every byte except ALPHA, DIGIT and `keep` (RFC 3986 unreserved "-._~" is kept
// by default): for query parameters; pass the path characters to keep for a path.
std::string percent_encode(std::string_view text, std::string_view keep = "-._~");

}  // namespace otr
