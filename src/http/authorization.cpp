#include "http/authorization.h"

#include <algorithm>
#include <cctype>

#include "base/base64.h"
#include "base/strings.h"

namespace otr {

namespace {

bool is_token_char(unsigned char c) {  // tchar, RFC 9110 section 5.6.2
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token68(std::string_view s) {  // RFC 9110 section 11.2
  size_t end = s.find_last_not_of('=');
  if (end == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(end) + 1, [](unsigned char c) {
    return std::isalnum(c) || std::string_view("-._~+/").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

AuthorizationCheck refuse(int status, std::string problem) { return {status, std::move(problem)}; }

}  // namespace

AuthorizationCheck check_authorization(std::string_view header) {
  if (header.empty()) return {};
  const std::string malformed = "the Authorization header is malformed: ";
  if (header.size() > kMaxAuthorizationLength)
    return refuse(400, malformed + "longer than " + std::to_string(kMaxAuthorizationLength) + " bytes");
  if (std::any_of(header.begin(), header.end(), [](unsigned char c) { return is_control(c) || c >= 0x80; }))
    return refuse(400, malformed + "it holds control characters or bytes outside ASCII");
  size_t space = header.find(' ');
  std::string_view scheme = header.substr(0, space);
  if (scheme.empty() || !std::all_of(scheme.begin(), scheme.end(), is_token_char))
    return refuse(400, malformed + "it does not start with an authentication scheme");
  std::string_view credentials = space == std::string_view::npos ? std::string_view() : header.substr(space);
  while (credentials.starts_with(' ')) credentials.remove_prefix(1);
  while (credentials.ends_with(' ')) credentials.remove_suffix(1);
  if (credentials.empty()) return refuse(400, malformed + "no credentials after the scheme");
  const std::string name = to_lower(scheme);
  if (name == "basic") {
    std::optional<std::string> decoded =
        is_token68(credentials) && credentials.size() % 4 == 0 ? base64_decode(credentials) : std::nullopt;
    if (!decoded) return refuse(400, malformed + "Basic credentials are not base64");
    if (decoded->find(':') == std::string::npos)
      return refuse(400, malformed + "Basic credentials are not user:password");
    if (std::any_of(decoded->begin(), decoded->end(), [](unsigned char c) { return is_control(c); }))
      return refuse(400, malformed + "Basic credentials hold control characters");
    return {};
  }
  if (name == "bearer") {
    if (!is_token68(credentials)) return refuse(400, malformed + "a Bearer token is one token68, without spaces");
    return {};
  }
  return refuse(401, "only Basic and Bearer credentials are taken here (the Authorization scheme is neither)");
}

}  // namespace otr
