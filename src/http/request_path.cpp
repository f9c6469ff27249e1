#include "http/request_path.h"

#include "base/hex.h"

namespace otr {

namespace {

RequestPath refuse(int status, std::string problem) {
  RequestPath p;
  p.status = status;
  p.problem = std::move(problem);
  return p;
}

}  // namespace

RequestPath split_request_path(std::string_view raw) {
  if (raw.size() > kMaxPathLength) return refuse(400, "request path too long");
  if (raw.empty() || raw.front() != '/') return refuse(400, "request path must start with '/'");
  RequestPath result;
  std::string_view rest = raw.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view raw_segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    bool last = slash == std::string_view::npos;
    if (raw_segment.empty()) {
      if (last) break;  // unreachable: a trailing '/' leaves rest empty
      return refuse(404, "empty path segment");
    }
    std::string segment;
    for (size_t i = 0; i < raw_segment.size(); ++i) {
      char c = raw_segment[i];
      if (c == '%') {
        if (i + 2 >= raw_segment.size())
          return refuse(400, "invalid percent-encoding in path");
        int hi = hex_digit_value(raw_segment[i + 1]);
        int lo = hex_digit_value(raw_segment[i + 2]);
        if (hi < 0 || lo < 0) return refuse(400, "invalid percent-encoding in path");
        c = static_cast<char>(hi * 16 + lo);
        if (c == '/' || c == '\\') return refuse(400, "encoded slash in path");
        i += 2;
      }
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return refuse(400, "control character in path");
      segment += c;
    }
    if (segment == "." || segment == "..") return refuse(400, "dot segment in path");
    result.segments.push_back(std::move(segment));
    if (!last && rest.empty()) result.trailing_slash = true;
  }
  if (raw == "/") result.trailing_slash = true;
  return result;
}

}  // namespace otr
