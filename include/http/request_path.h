// Splitting a raw request path (as the client sent it, percent-encoded) into decoded segments,
// refusing what must never reach a registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otr {

inline constexpr std::size_t kMaxPathLength = 2048;

struct RequestPath {
  int status = 200;                   // 200 = usable; else 400 or 404 with `problem`
  std::string problem;                // for the error body; empty when usable
  std::vector<std::string> segments;  // decoded, never empty strings
  bool trailing_slash = false;        // "/mirror/" vs "/mirror"
};

// 400: longer than kMaxPathLength, not starting with '/', bad percent-encoding, an encoded '/'
//      or '\\', control characters or NUL (raw or encoded), "." or ".." segments (raw or encoded);
// 404: empty segments ("//").
RequestPath split_request_path(std::string_view raw_path);

}  // namespace otr
