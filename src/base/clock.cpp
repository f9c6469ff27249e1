#include "base/clock.h"

#include <ctime>

namespace otr {

namespace {

class SystemClock : public Clock {
 public:
  Steady::time_point steady_now() const override { return Steady::now(); }
  std::int64_t unix_now() const override { return static_cast<std::int64_t>(std::time(nullptr)); }
};

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string rfc3339_utc(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  char text[32];
  if (gmtime_r(&t, &utc) == nullptr || std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
    return "1970-01-01T00:00:00Z";  // out of range for the calendar: unix_seconds is checked by callers
  return text;
}

}  // namespace otr
