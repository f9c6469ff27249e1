// Time, as everything that expires or stamps asks for it: the seam that lets tests move time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace otr {

using Seconds = std::chrono::seconds;

class Clock {
 public:
  using Steady = std::chrono::steady_clock;
  virtual ~Clock() = default;
  // Monotonic time, for lifetimes inside the process (cache entries, bearer tokens).
  virtual Steady::time_point steady_now() const = 0;
  // Wall-clock time in unix seconds, for what leaves the process (sealed-token expiry, the
  // created annotation of what `push` writes).
  virtual std::int64_t unix_now() const = 0;
};

// The machine's clocks. Lives for the process; thread-safe.
const Clock& system_clock();

// The latest time rfc3339_utc() writes: 9999-12-31T23:59:59Z.
inline constexpr std::int64_t kLastRfc3339Second = 253402300799;

// "2024-05-01T12:00:00Z" (RFC 3339, UTC) of unix seconds in [0, kLastRfc3339Second].
std::string rfc3339_utc(std::int64_t unix_seconds);

}  // namespace otr
