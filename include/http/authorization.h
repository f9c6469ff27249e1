// The caller's Authorization header, checked before anything is done for it.
//
// The services hand the caller's header to the origin registry as it came (oci/client.h: a caller's
// credentials are final). A header the registry cannot even parse makes it answer 400, which says
// nothing about the registry and everything about the caller; so the router checks the header once,
// before any route (server/application.cpp), and what is malformed never reaches a registry.
// Pure; never throws.
#pragma once

#include <string>
#include <string_view>

namespace otr {

// Longer than web servers take a whole header line by default (nginx 8k, Apache 8190 bytes).
inline constexpr std::size_t kMaxAuthorizationLength = 8192;

struct AuthorizationCheck {
  // 200: usable, or absent (""). 400: not credentials in the syntax of RFC 9110 section 11.4 (control
  // characters, non-ASCII, no credentials after the scheme, longer than kMaxAuthorizationLength),
  // a Basic value that is not canonical base64 of "user:password" without control characters
  // (RFC 7617), or a Bearer value that is not a token68 (RFC 6750). 401: well-formed credentials of
  // another scheme: OCI registries take Basic and Bearer only, so no registry call could accept them.
  int status = 200;
  std::string problem;  // for the error body; never quotes the header's value; "" when usable
};

AuthorizationCheck check_authorization(std::string_view header);

}  // namespace otr
