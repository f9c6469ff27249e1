// A Clock that moves only when a test says so.
#pragma once

#include "base/clock.h"

namespace otr::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::int64_t unix = 1700000000) : unix_(unix) {}
  Steady::time_point steady_now() const override { return Steady::time_point{} + elapsed_; }
  std::int64_t unix_now() const override { return unix_ + elapsed_.count(); }
  void advance(Seconds by) { elapsed_ += by; }

 private:
  std::int64_t unix_;
  Seconds elapsed_{1000000};  // far from the epoch of steady_clock, as on a running machine
};

}  // namespace otr::testing
