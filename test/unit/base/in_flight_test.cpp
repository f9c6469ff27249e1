#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/in_flight.h"

namespace otr {

BOOST_AUTO_TEST_SUITE(in_flight)

// The leader's call waits on a gate until every other caller has joined it.
BOOST_AUTO_TEST_CASE(callers_arriving_while_a_call_runs_share_its_outcome) {
  for (bool fails : {false, true}) {
    InFlight<int> flights;
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
    std::atomic<int> calls{0}, joined{0}, failures{0};
    std::vector<int> got(5, 0);
    auto call = [&]() -> int {
      ++calls;
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return open; });
      if (fails) throw std::runtime_error("registry down");
      return 42;
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < 5; ++i)
      threads.emplace_back([&, i] {
        bool j = false;
        try {
          got[i] = flights.run("tags of x", call, &j);
        } catch (const std::runtime_error&) {
          ++failures;
        }
        if (j) ++joined;
      });
    // Open the gate once the call is running and four callers have queued behind it: they are
    // inside run() when running() is true and calls is 1 (polling a condition, not a sleep).
    while (!(flights.running("tags of x") && calls == 1)) std::this_thread::yield();
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
    for (std::thread& t : threads) t.join();
    // Callers that came after the call ended made their own: at least one call, and every caller
    // either joined or led one.
    BOOST_TEST(calls + joined == 5);
    BOOST_TEST(calls >= 1);
    if (fails) BOOST_TEST(failures == 5);
    else for (int v : got) BOOST_TEST(v == 42);
    BOOST_TEST(!flights.running("tags of x"));
  }
}

BOOST_AUTO_TEST_CASE(nothing_is_kept_after_the_call) {
  InFlight<int> flights;
  int calls = 0;
  BOOST_TEST(flights.run("k", [&] { return ++calls; }) == 1);
  BOOST_TEST(flights.run("k", [&] { return ++calls; }) == 2);
  BOOST_TEST(flights.run("other", [&] { return ++calls; }) == 3);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
