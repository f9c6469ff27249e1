// Parsing of WWW-Authenticate challenges (RFC 7235) as OCI registries send them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace otr {

struct AuthChallenge {
  std::string scheme;                         // lower-cased: "bearer", "basic"
  std::map<std::string, std::string> params;  // lower-cased names; values unquoted/unescaped
};

// Parses one header value, which may hold several challenges
// ('Bearer realm="https://a/token",service="reg",scope="repository:x:pull", Basic realm="r"').
// Malformed parts are skipped; never throws.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

}  // namespace otr
