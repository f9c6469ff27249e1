// Standard base64 (RFC 4648 section 4, with padding), as Terraform's h1: hashes and docker's
// credential files use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otr {

std::string base64_encode(std::string_view data);

// Accepts padded or unpadded input; nullopt on any character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace otr
