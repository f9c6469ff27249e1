// Holding threads at a known point, for tests of what happens while a call is in progress: a Gate
// that callers pass only once the test opens it, counting who arrived; and eventually(), which waits
// for a condition on an object's own state. Both waits are bounded (kBound): a broken
// implementation fails the test instead of hanging it. Neither sleeps in place of a condition.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace otr::testing {

// Long enough for any machine under any sanitizer; reached only when what is awaited never comes.
inline constexpr std::chrono::seconds kBound{20};

// Thread-safe.
class Gate {
 public:
  // Arrives, then waits until open() (true) or kBound has passed (false: the caller goes on, the
  // test must fail on it).
  bool pass() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    return changed_.wait_for(lock, kBound, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  // Waits until `n` callers have arrived in all (whether or not they passed); false after kBound.
  bool wait_for_arrivals(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kBound, [&] { return arrived_ >= n; });
  }
  int arrivals() {
    std::lock_guard lock(mutex_);
    return arrived_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int arrived_ = 0;
};

// Polls `condition` (which reads a thread-safe object's own state, e.g. InFlight::waiting()) until
// it holds (true) or kBound has passed (false). For state that signals no one when it changes.
inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the poll's interval, not a guess at timing
  }
  return true;
}

}  // namespace otr::testing
