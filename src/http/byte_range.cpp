#include "http/byte_range.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "base/strings.h"

namespace otr {

namespace {

// A run of digits as a number; nullopt for anything else (or more than 18 digits).
std::optional<std::int64_t> number(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t n = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

ByteRange parse_byte_range(std::string_view range, std::string_view if_range, std::string_view etag,
                           std::int64_t size) {
  ByteRange whole;
  if (range.empty() || size < 0) return whole;
  if (!if_range.empty() && if_range != etag) return whole;  // the client's copy is another body
  std::string spec = trim(range);
  if (!spec.starts_with("bytes=")) return whole;
  spec = trim(spec.substr(6));
  if (spec.find(',') != std::string::npos) return whole;  // several ranges: the whole body instead
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return whole;
  std::string_view from = std::string_view(spec).substr(0, dash), to = std::string_view(spec).substr(dash + 1);
  ByteRange part;
  part.kind = ByteRange::Kind::kPart;
  if (from.empty()) {  // the last N bytes
    std::optional<std::int64_t> n = number(to);
    if (!n) return whole;
    if (*n == 0 || size == 0) return {ByteRange::Kind::kUnsatisfiable, 0, -1};
    part.first = std::max<std::int64_t>(0, size - *n);
    part.last = size - 1;
    return part;
  }
  std::optional<std::int64_t> first = number(from);
  std::optional<std::int64_t> last = to.empty() ? std::optional<std::int64_t>(size - 1) : number(to);
  if (!first || !last) return whole;
  if (*first >= size) return {ByteRange::Kind::kUnsatisfiable, 0, -1};
  if (*last < *first) return whole;
  part.first = *first;
  part.last = std::min(*last, size - 1);
  return part;
}

std::string content_range(const ByteRange& range, std::int64_t size) {
  if (range.kind == ByteRange::Kind::kUnsatisfiable) return "bytes */" + std::to_string(size);
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" + std::to_string(size);
}

}  // namespace otr
