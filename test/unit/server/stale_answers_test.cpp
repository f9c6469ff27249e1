// Answers past their TTL: served while one request refreshes them (stale-while-revalidate), and
// while the registry fails (stale-if-error), never in place of a refusal or an absence.
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "oci/auth.h"
#include "oci/client.h"
#include "oci/origin.h"
#include "server/application.h"
#include "server/metadata_cache.h"
#include "server/release_reader.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/gate.h"

namespace otr {
namespace {

using testing::call;
using testing::FakeClock;
using testing::FakeTransport;
using testing::ScriptedAnswer;

const std::string kTags = "https://registry.test/v2/terraform-providers/registry.terraform.io/acme/widget/tags/list";
const std::string kIndex = "/m/registry.terraform.io/acme/widget/index.json";

Config config(const std::string& server = "") {
  return parse_config("provider_mirror \"m\" {\n  origin_url = \"https://registry.test\"\n"
                      "  name_prefix = \"terraform-providers\"\n}\nserver {\n  tags_cache_ttl = \"30s\"\n" + server +
                          "}\n",
                      "t.hcl");
}

std::size_t tag_calls(const FakeTransport& net) {
  std::size_t n = 0;
  for (const OutgoingRequest& r : net.seen) n += r.url.starts_with(kTags);
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stale_answers)

BOOST_AUTO_TEST_CASE(cache_entries_age_from_fresh_to_revalidate_to_stale_if_error_to_gone) {
  FakeClock clock;
  MetadataCache cache(Seconds(30), 1u << 20, clock, Staleness{Seconds(30), Seconds(600)});
  cache.put_tags("k", {"1.0.0"});
  BOOST_TEST(cache.aged_tags("k").age.fresh);
  clock.advance(Seconds(45));
  BOOST_TEST(!cache.tags("k"));  // past the TTL: not fresh
  MetadataCache::Age age = cache.aged_tags("k").age;
  BOOST_TEST((!age.fresh && age.while_revalidating && age.if_error));
  clock.advance(Seconds(100));
  age = cache.aged_tags("k").age;
  BOOST_TEST((!age.while_revalidating && age.if_error));
  clock.advance(Seconds(600));
  BOOST_TEST(!cache.aged_tags("k").value);
  // stale_if_error shorter than stale_while_revalidate: each limit is its own.
  MetadataCache other(Seconds(30), 1u << 20, clock, Staleness{Seconds(30), Seconds(0)});
  other.put_tags("k", {"1.0.0"});
  clock.advance(Seconds(40));
  age = other.aged_tags("k").age;
  BOOST_TEST((age.while_revalidating && !age.if_error));
  // A 404 drops what was cached.
  other.put_tag_digest("t", "sha256:x");
  other.forget_tag_digest("t");
  BOOST_TEST(!other.aged_tag_digest("t").value);
}

BOOST_AUTO_TEST_CASE(a_failing_registry_is_covered_by_what_was_cached) {
  for (TransportError failure : {TransportError::kUnreachable, TransportError::kTimeout}) {
    FakeClock clock;
    FakeTransport net;
    net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"), 1);
    net.on("GET", kTags, ScriptedAnswer(0, {}, "", failure));
    Config c = config();
    RegistryApp app(c, clock, net);
    BOOST_TEST(call(app, kIndex).body == "{\"versions\":{\"1.0.0\":{}}}\n");
    clock.advance(Seconds(3000));  // long past the TTL, within stale_if_error (1h by default)
    testing::Answer a = call(app, kIndex);
    BOOST_TEST(a.status == 200);
    BOOST_TEST(a.body == "{\"versions\":{\"1.0.0\":{}}}\n");
    BOOST_TEST(tag_calls(net) == 2u);  // it did ask
    BOOST_TEST(call(app, kIndex).status == 200);
    BOOST_TEST(tag_calls(net) == 2u);  // and does not again for the TTL: the failure is remembered
    clock.advance(Seconds(31));
    BOOST_TEST(call(app, kIndex).status == 200);
    BOOST_TEST(tag_calls(net) == 3u);
    clock.advance(Seconds(3600));      // past stale_if_error: the failure shows
    BOOST_TEST(call(app, kIndex).status >= 502);
  }
}

BOOST_AUTO_TEST_CASE(a_5xx_is_covered_but_401_and_404_are_never_masked) {
  for (int status : {503, 401, 404}) {
    FakeClock clock;
    FakeTransport net;
    net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"), 1);
    net.on("GET", kTags, ScriptedAnswer(status, {}, R"({"errors":[{"code":"X"}]})"));
    Config c = config();
    RegistryApp app(c, clock, net);
    BOOST_TEST(call(app, kIndex).status == 200);
    clock.advance(Seconds(100));
    testing::Answer a = call(app, kIndex);
    BOOST_TEST_CONTEXT("registry answered " << status) {
      BOOST_TEST(a.status == (status == 503 ? 200 : status));
    }
  }
}

BOOST_AUTO_TEST_CASE(stale_if_error_zero_turns_it_off_even_within_stale_while_revalidate) {
  FakeClock clock;
  FakeTransport net;
  net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"), 1);
  net.on("GET", kTags, ScriptedAnswer(503, {}, ""));
  Config c = config("  stale_if_error = 0\n");
  RegistryApp app(c, clock, net);
  BOOST_TEST(call(app, kIndex).status == 200);
  clock.advance(Seconds(31));  // within stale_while_revalidate (30 s by default)
  BOOST_TEST(call(app, kIndex).status == 502);
  BOOST_TEST(call(app, kIndex).status == 502);
}

BOOST_AUTO_TEST_CASE(a_tag_the_registry_deleted_does_not_come_back_in_an_outage) {
  FakeClock clock;
  FakeTransport net;
  net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"), 1);
  net.on("GET", kTags, ScriptedAnswer(404, {}, R"({"errors":[{"code":"NAME_UNKNOWN"}]})"), 1);
  net.on("GET", kTags, ScriptedAnswer(0, {}, "", TransportError::kUnreachable));
  Config c = config();
  RegistryApp app(c, clock, net);
  BOOST_TEST(call(app, kIndex).status == 200);
  clock.advance(Seconds(31));
  BOOST_TEST(call(app, kIndex).status == 404);
  clock.advance(Seconds(31));
  BOOST_TEST(call(app, kIndex).status == 502);  // nothing cached to stand in
}

BOOST_AUTO_TEST_CASE(stale_if_error_zero_turns_it_off) {
  FakeClock clock;
  FakeTransport net;
  net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"), 1);
  net.on("GET", kTags, ScriptedAnswer(0, {}, "", TransportError::kUnreachable));
  Config c = config("  stale_if_error = 0\n  stale_while_revalidate = 0\n");
  RegistryApp app(c, clock, net);
  BOOST_TEST(call(app, kIndex).status == 200);
  clock.advance(Seconds(31));
  BOOST_TEST(call(app, kIndex).status == 502);
}

// The registry's tag list answers held until release(): a slow refresh. A fetch is held for
// testing::kBound at most (timed_out() then says so), so that a broken implementation that waits
// on the held call fails the test instead of hanging it.
class HeldTags : public HttpTransport {
 public:
  explicit HeldTags(FakeTransport& inner) : inner_(inner) {}
  IncomingResponse fetch(const OutgoingRequest& r) override {
    {
      std::unique_lock lock(mutex_);
      ++waiting_;
      changed_.notify_all();
      if (!changed_.wait_for(lock, testing::kBound, [&] { return released_; })) timed_out_ = true;
    }
    return inner_.fetch(r);
  }
  std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& r) override { return inner_.fetch_all(r); }
  IncomingResponse stream(const OutgoingRequest& r, const HeadersCallback& h, const DataCallback& d) override {
    return inner_.stream(r, h, d);
  }
  void hold() {
    std::lock_guard lock(mutex_);
    released_ = false;
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  // Until `n` fetches have arrived in all; false after testing::kBound.
  bool wait_for_waiters(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, testing::kBound, [&] { return waiting_ >= n; });
  }
  bool timed_out() {
    std::lock_guard lock(mutex_);
    return timed_out_;
  }

 private:
  FakeTransport& inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool released_ = true;
  int waiting_ = 0;
  bool timed_out_ = false;
};

BOOST_AUTO_TEST_CASE(past_the_ttl_one_request_refreshes_while_the_others_get_the_cached_answer) {
  FakeClock clock;
  FakeTransport net;
  net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"), 1);
  net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0","1.1.0"]})"));
  HeldTags held(net);
  Config c = config();
  RegistryApp app(c, clock, held);
  BOOST_TEST(call(app, kIndex).status == 200);
  clock.advance(Seconds(40));  // past the TTL, within stale_while_revalidate
  held.hold();
  testing::Answer refreshed;
  std::thread refresher([&] { refreshed = call(app, kIndex); });
  BOOST_TEST(held.wait_for_waiters(2));  // the first request plus this refresh are at the registry
  // Meanwhile: the cached list, at once, without a registry call (one that waited for the refresh
  // would be held until the bound, then get the new list).
  testing::Answer meanwhile = call(app, kIndex);
  BOOST_TEST(meanwhile.status == 200);
  BOOST_TEST(meanwhile.body == "{\"versions\":{\"1.0.0\":{}}}\n");
  BOOST_TEST(!held.timed_out());
  held.release();
  refresher.join();
  BOOST_TEST(refreshed.body == "{\"versions\":{\"1.0.0\":{},\"1.1.0\":{}}}\n");
  BOOST_TEST(tag_calls(net) == 2u);
  BOOST_TEST(call(app, kIndex).body == refreshed.body);  // fresh again
  BOOST_TEST(tag_calls(net) == 2u);
}

// What the application's requests do (each a ReleaseReader over the process's MetadataCache), with
// the cache at hand to see the sharing: the one registry call is held until the three other
// requests wait for it (InFlight::waiting()), so that none can find the answer already cached.
BOOST_AUTO_TEST_CASE(concurrent_requests_for_an_uncached_tag_list_make_one_call) {
  FakeClock clock;
  FakeTransport net;
  net.on("GET", kTags, ScriptedAnswer(200, {}, R"({"tags":["1.0.0"]})"));
  HeldTags held(net);
  Config c = config();
  MetadataCache cache(Seconds(30), 1u << 20, clock);
  AuthCache auth(clock);
  StandardOriginFactory origins(auth, held);
  const RegistryEndpoint endpoint = endpoint_of(c.provider_mirrors.at(0));
  const std::string prefix = service_cache_prefix("m", "");
  const std::string repository = "terraform-providers/registry.terraform.io/acme/widget";
  held.hold();
  std::vector<std::thread> threads;
  std::vector<RequestStats> stats(4);
  std::vector<std::size_t> versions(4, 0);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      try {
        ReleaseReader reader(origins.open(endpoint, "", stats[i]), cache, prefix, stats[i]);
        if (auto v = reader.versions(repository)) versions[i] = v->size();
      } catch (const std::exception&) {  // versions[i] stays 0: the test fails on it
      }
    });
  BOOST_TEST(held.wait_for_waiters(1));
  BOOST_TEST(testing::eventually([&] { return cache.tag_calls().waiting(prefix + repository) == 3; }),
             "three requests wait for the one registry call");
  held.release();
  for (std::thread& t : threads) t.join();
  for (std::size_t n : versions) BOOST_TEST(n == 1u);
  BOOST_TEST(tag_calls(net) == 1u);
  int shared = 0;
  for (const RequestStats& s : stats) shared += s.shared;
  BOOST_TEST(shared == 3);
  BOOST_TEST(!held.timed_out());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
