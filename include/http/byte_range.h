// The Range header of a download (RFC 9110 14.2), as far as package downloads answer it: one range
// of bytes ("bytes=100-", "bytes=100-199", "bytes=-500"), honoured with If-Range when the validator
// matches. Anything else (several ranges, another unit, a syntax error) is answered with the whole
// body, which the RFC allows; a range that starts beyond the end is 416. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace otr {

struct ByteRange {
  enum class Kind {
    kWhole,          // answer 200 with every byte
    kPart,           // answer 206 with [first, last]
    kUnsatisfiable,  // answer 416 with Content-Range: bytes */size
  };
  Kind kind = Kind::kWhole;
  std::int64_t first = 0;
  std::int64_t last = -1;  // inclusive
  std::int64_t length() const { return last - first + 1; }
};

// The part of a body of `size` bytes (-1: unknown, then always kWhole) that `range` (the header,
// "" when absent) asks for. `if_range` is the If-Range header ("" when absent) and `etag` the
// body's strong ETag: a range comes with If-Range only when they are equal.
ByteRange parse_byte_range(std::string_view range, std::string_view if_range, std::string_view etag,
                           std::int64_t size);

// "bytes 100-199/1000" for a part; "bytes */1000" for an unsatisfiable range.
std::string content_range(const ByteRange& range, std::int64_t size);

}  // namespace otr
