#include <boost/test/unit_test.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/in_flight.h"
#include "testing/gate.h"

namespace otr {

BOOST_AUTO_TEST_SUITE(in_flight)

// The leader's call is held at a gate until the four other callers are waiting for it (as
// InFlight::waiting() shows): then exactly one call is made, and all five get its outcome. An
// InFlight that does not share fails here (the four never wait; five calls are made).
BOOST_AUTO_TEST_CASE(callers_arriving_while_a_call_runs_share_its_outcome) {
  for (bool fails : {false, true}) {
    BOOST_TEST_CONTEXT("the call " << (fails ? "fails" : "succeeds")) {
      InFlight<int> flights;
      testing::Gate gate;
      std::atomic<int> calls{0}, joined{0}, failures{0};
      std::vector<int> got(5, 0);
      auto call = [&]() -> int {
        ++calls;
        gate.pass();
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
      BOOST_TEST(gate.wait_for_arrivals(1));  // the leader's call is running
      BOOST_TEST(testing::eventually([&] { return flights.waiting("tags of x") == 4; }),
                 "the other callers wait for the call in flight");
      BOOST_TEST(flights.running("tags of x"));
      gate.open();
      for (std::thread& t : threads) t.join();
      BOOST_TEST(calls == 1);
      BOOST_TEST(joined == 4);
      if (fails) BOOST_TEST(failures == 5);
      else for (int v : got) BOOST_TEST(v == 42);
      BOOST_TEST(!flights.running("tags of x"));
      BOOST_TEST(flights.waiting("tags of x") == 0u);
    }
  }
}

// A call for another key is not shared: it runs while the first is held.
BOOST_AUTO_TEST_CASE(calls_for_different_keys_run_side_by_side) {
  InFlight<int> flights;
  testing::Gate gate;
  std::thread held([&] { flights.run("a", [&] { gate.pass(); return 1; }); });
  BOOST_TEST(gate.wait_for_arrivals(1));
  bool joined = true;
  BOOST_TEST(flights.run("b", [] { return 2; }, &joined) == 2);
  BOOST_TEST(!joined);
  BOOST_TEST(flights.waiting("a") == 0u);
  gate.open();
  held.join();
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
