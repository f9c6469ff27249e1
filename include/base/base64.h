// Base64 (RFC 4648): the standard alphabet with padding, as Terraform's h1: hashes and docker's
// credential files use it, and the URL-safe alphabet without padding, for sealed tokens in URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otr {

std::string base64_encode(std::string_view data);
// Accepts padded or unpadded input; nullopt on any character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text);

// URL-safe alphabet ('-', '_'), no padding.
std::string base64url_encode(std::string_view data);
// Strict: no padding, and unused trailing bits must be zero (one encoding per value).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace otr
