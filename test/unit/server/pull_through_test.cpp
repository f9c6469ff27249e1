// Pull-through through the whole request path: RegistryApp over an empty OCI layout, with an
// upstream scripted on the fake transport.
#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/json.h"
#include "config/config.h"
#include "oci/layout_reader.h"
#include "http/metrics.h"
#include "server/application.h"
#include "server/pull_through.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/gate.h"
#include "testing/scripted_upstream.h"

namespace otr {
namespace {

using testing::call;
using testing::first_error;
using testing::Upstream;

constexpr const char* kSecret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* kRepo = "terraform-providers/registry.terraform.io/acme/widget";

// An empty layout, served by a mirror and a registry that import from `up`.
struct PullThroughApp {
  explicit PullThroughApp(Upstream& up, const std::string& upstream_extra = "", const std::string& server_extra = "")
      : up(up) {
    dir = std::filesystem::temp_directory_path() / ("otr-pull-" + std::to_string(::getpid()) + "-" +
                                                   std::to_string(++counter));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string upstream = "  upstream {\n    url = \"https://up.example\"\n    hostnames = [\"registry.terraform.io\"]\n" +
                                 upstream_extra + "  }\n";
    const std::string origin = "file://" + dir.string();
    config = parse_config("provider_mirror \"mirror\" {\n  origin_url = \"" + origin +
                              "\"\n  name_prefix = \"terraform-providers\"\n" + upstream + "}\n"
                              "provider_registry \"registry\" {\n  origin_url = \"" + origin +
                              "\"\n  name_prefix = \"terraform-providers\"\n  signing_key_file = \"" +
                              std::filesystem::absolute("../data/signing/unit-test-key.gpg").string() + "\"\n" +
                              upstream + "}\nserver {\n  query_string_secret = \"" + kSecret + "\"\n" + server_extra + "}\n",
                          "test.hcl");
    app = std::make_unique<RegistryApp>(config, clock, up.transport);
  }
  ~PullThroughApp() {
    app.reset();
    std::filesystem::remove_all(dir);
  }
  bool stored(const std::string& version) const {
    return OciLayoutReader(dir.string()).find_manifest(kRepo, version, 1u << 20).has_value();
  }
  std::size_t upstream_calls(const std::string& path) const {
    std::size_t n = 0;
    for (const OutgoingRequest& r : up.transport.seen) n += r.url.find(path) != std::string::npos;
    return n;
  }

  static inline int counter = 0;
  Upstream& up;
  std::filesystem::path dir;
  testing::FakeClock clock;
  Config config;
  std::unique_ptr<RegistryApp> app;
};

// The upstream's transport, with package downloads held until release() (a slow upstream).
class HeldDownloads : public HttpTransport {
 public:
  explicit HeldDownloads(HttpTransport& inner) : inner_(inner) {}
  IncomingResponse fetch(const OutgoingRequest& r) override { return inner_.fetch(r); }
  std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& r) override { return inner_.fetch_all(r); }
  IncomingResponse stream(const OutgoingRequest& r, const HeadersCallback& h, const DataCallback& d) override {
    {
      std::unique_lock lock(mutex_);
      ++holding_;
      released_cv_.wait(lock, [&] { return released_; });
    }
    return inner_.stream(r, h, d);
  }
  // Whether a download has reached the hold (true after release() too).
  bool holding() {
    std::lock_guard lock(mutex_);
    return holding_ > 0;
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    released_cv_.notify_all();
  }

 private:
  HttpTransport& inner_;
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  int holding_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pull_through)

BOOST_AUTO_TEST_CASE(an_import_that_outlasts_import_timeout_is_a_503_with_retry_after_and_goes_on) {
  Upstream up;
  HeldDownloads held(up.transport);
  PullThroughApp p(up, "    import_timeout = \"1s\"\n");
  RegistryApp app(p.config, p.clock, held);
  testing::Answer first = call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");
  BOOST_TEST(first.status == 503);
  BOOST_TEST(first.headers.get("Retry-After") == "10");
  BOOST_TEST(first_error(first).find("is being imported") != std::string::npos, first.body);
  held.release();
  testing::Answer later = call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");  // joins the import
  BOOST_TEST(later.status == 200, later.body);
  BOOST_TEST(p.upstream_calls("/download/linux/amd64") == 1u);
}

BOOST_AUTO_TEST_CASE(listings_offer_the_upstreams_versions_and_a_download_imports_the_release) {
  Upstream up;
  PullThroughApp p(up);
  testing::Answer index = call(*p.app, "/mirror/registry.terraform.io/acme/widget/index.json");
  BOOST_TEST(index.status == 200);
  BOOST_TEST(index.body == "{\"versions\":{\"1.0.0\":{}}}\n");  // 0.9.0 has no platforms upstream
  testing::Answer versions = call(*p.app, "/registry/acme/widget/versions");
  BOOST_TEST(versions.status == 200);
  BOOST_TEST(versions.body.find("\"protocols\":[\"6.0\"]") != std::string::npos);
  BOOST_TEST(!p.stored("1.0.0"));

  testing::Answer download = call(*p.app, "/registry/acme/widget/1.0.0/download/linux/amd64");
  BOOST_TEST(download.status == 200, download.body);
  BOOST_TEST(p.stored("1.0.0"));
  // The publisher's own SHA256SUMS, byte for byte (every platform's line), and its signature.
  testing::Answer sums = call(*p.app, "/registry/acme/widget/1.0.0/SHA256SUMS");
  BOOST_TEST(sums.body == up.shasums);
  testing::Answer mirror = call(*p.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");
  BOOST_TEST(mirror.status == 200);
  BOOST_TEST(mirror.body.find("windows_amd64") != std::string::npos);
  BOOST_TEST(p.upstream_calls("/download/linux/amd64") == 1u);  // imported once
  // One versions document per service (each has its own listing), which the import used as it was.
  BOOST_TEST(p.upstream_calls("/acme/widget/versions") == 2u);
}

BOOST_AUTO_TEST_CASE(only_the_configured_platforms_are_imported) {
  Upstream up;
  PullThroughApp p(up, "    platforms = [\"linux_amd64\"]\n");
  BOOST_TEST(call(*p.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status == 200);
  BOOST_TEST(call(*p.app, "/registry/acme/widget/1.0.0/download/darwin/arm64").status == 404);
  BOOST_TEST(p.upstream_calls("/download/darwin") == 0u);
  BOOST_TEST(p.upstream_calls("storage.example") == 0u);
}

BOOST_AUTO_TEST_CASE(a_release_that_does_not_verify_is_a_502_naming_the_problem_and_nothing_is_stored) {
  Upstream up("../data/signing/unit-test-key.gpg", /*tamper=*/true);
  PullThroughApp p(up);
  testing::Answer a = call(*p.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");
  BOOST_TEST(a.status == 502);
  BOOST_TEST(first_error(a).find("does not match its checksum") != std::string::npos, a.body);
  BOOST_TEST(!p.stored("1.0.0"));
  // Answered again from the failure for a while, without asking the upstream.
  const std::size_t asked = up.transport.seen.size();
  testing::Answer again = call(*p.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");
  BOOST_TEST(again.status == 502);
  BOOST_TEST(up.transport.seen.size() == asked);
  p.clock.advance(std::chrono::seconds(31));  // failure_ttl is 30 s
  BOOST_TEST(call(*p.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status == 502);
  BOOST_TEST(up.transport.seen.size() > asked);
}

BOOST_AUTO_TEST_CASE(an_unreachable_upstream_leaves_what_is_stored_served) {
  Upstream up;
  PullThroughApp p(up);
  BOOST_TEST(call(*p.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status == 200);
  // A second app (another worker), the upstream now down.
  testing::FakeTransport down;
  down.on("GET", "https://up.example/", testing::ScriptedAnswer(0, {}, "", TransportError::kUnreachable));
  RegistryApp other(p.config, p.clock, down);
  testing::Answer index = call(other, "/mirror/registry.terraform.io/acme/widget/index.json");
  BOOST_TEST(index.status == 200);
  BOOST_TEST(index.body == "{\"versions\":{\"1.0.0\":{}}}\n");
  BOOST_TEST(call(other, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status == 200);
  // Asked once for the listing, then remembered as failing.
  const std::size_t asked = down.seen.size();
  BOOST_TEST(call(other, "/mirror/registry.terraform.io/acme/widget/index.json").status == 200);
  BOOST_TEST(down.seen.size() == asked);
  // A version only the upstream could have: 502, not a hang.
  testing::Answer missing = call(other, "/mirror/registry.terraform.io/acme/widget/2.0.0.json");
  BOOST_TEST(missing.status == 502);
}

BOOST_AUTO_TEST_CASE(a_version_the_upstream_does_not_list_starts_no_import) {
  Upstream up;
  PullThroughApp p(up);
  for (const char* v : {"9.9.1", "9.9.2", "9.9.3"})
    BOOST_TEST(call(*p.app, std::string("/mirror/registry.terraform.io/acme/widget/") + v + ".json").status == 404);
  BOOST_TEST(p.upstream_calls("/versions") == 1u);  // one listing, cached: no import, no further call
  BOOST_TEST(p.upstream_calls("/download/") == 0u);
}

BOOST_AUTO_TEST_CASE(namespaces_not_allowed_never_reach_the_upstream) {
  Upstream up;
  PullThroughApp p(up, "    exclude_namespaces = [\"acme\"]\n");
  BOOST_TEST(call(*p.app, "/mirror/registry.terraform.io/acme/widget/index.json").status == 404);
  BOOST_TEST(call(*p.app, "/mirror/example.com/acme/widget/index.json").status == 404);  // another hostname
  BOOST_TEST(up.transport.seen.empty());
}

// Waits (bounded) until `metrics` reports `series` at `value`: the state of other threads, observed.
bool reaches(const PoolMetrics& metrics, const std::string& series, int value) {
  const std::string line = "\n" + series + " " + std::to_string(value) + "\n";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (metrics.render(0).find(line) != std::string::npos) return true;
    std::this_thread::yield();
  }
  return false;
}

BOOST_AUTO_TEST_CASE(concurrent_requests_share_one_import) {
  // The package download is held until the four requests are seen waiting on the import (the
  // process's four waiting slots, reported in its metrics): then it runs once for all of them.
  Upstream up;
  HeldDownloads held(up.transport);
  PullThroughApp p(up, "    import_timeout = \"60s\"\n");
  PoolMetrics metrics;
  RegistryApp app(p.config, p.clock, held, metrics);
  std::vector<int> statuses(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      statuses[i] = call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status;
    });
  const bool all_waiting = reaches(metrics, "otr_upstream_waiting", 4) && reaches(metrics, "otr_imports_running", 1);
  held.release();
  for (std::thread& t : threads) t.join();
  BOOST_TEST(all_waiting, "four requests wait on one import");
  for (int s : statuses) BOOST_TEST(s == 200);
  BOOST_TEST(p.upstream_calls("/download/linux/amd64") == 1u);
  BOOST_TEST(p.upstream_calls("/SHA256SUMS.sig") == 1u);
}

BOOST_AUTO_TEST_CASE(requests_waiting_on_imports_are_capped_and_the_rest_of_the_pool_answers) {
  // worker_threads = 2: one thread may wait on the upstream. The review's case: requests for a slowly
  // trickling package must not take every thread from /healthz and from what is stored.
  Upstream up;
  HeldDownloads held(up.transport);
  PullThroughApp p(up, "    import_timeout = \"60s\"\n", "  worker_threads = 2\n");
  PoolMetrics metrics;
  RegistryApp app(p.config, p.clock, held, metrics);
  BOOST_TEST(call(app, "/mirror/registry.terraform.io/acme/widget/index.json").status == 200);  // listing kept
  int waited = 0;
  std::thread first([&] { waited = call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status; });
  BOOST_REQUIRE(reaches(metrics, "otr_upstream_waiting", 1));
  BOOST_REQUIRE(reaches(metrics, "otr_imports_running", 1));
  BOOST_REQUIRE(testing::eventually([&] { return held.holding(); }));  // the import is at its download

  // Another request for the release being imported is not let wait: 503 at once, Retry-After.
  testing::Answer joined = call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");
  BOOST_TEST(joined.status == 503);
  BOOST_TEST(joined.headers.get("Retry-After") == "10");
  BOOST_TEST(first_error(joined).find("busy") != std::string::npos, joined.body);
  // Nor one whose listing would have to be fetched (the registry service keeps a listing of its own).
  BOOST_TEST(call(app, "/registry/acme/widget/versions").status == 503);
  BOOST_TEST(metrics.render(0).find("\notr_upstream_busy_total 2\n") != std::string::npos);
  // The rest answers: health, and what needs no upstream (the mirror's listing, kept).
  BOOST_TEST(call(app, "/healthz").status == 200);
  BOOST_TEST(call(app, "/mirror/registry.terraform.io/acme/widget/index.json").status == 200);

  held.release();
  first.join();
  BOOST_TEST(waited == 200);
  BOOST_TEST(reaches(metrics, "otr_upstream_waiting", 0));
  BOOST_TEST(reaches(metrics, "otr_imports_running", 0));
  BOOST_TEST(call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json").status == 200);
  BOOST_TEST(p.upstream_calls("/download/linux/amd64") == 1u);
}

BOOST_AUTO_TEST_CASE(the_default_wait_for_an_import_is_below_the_clients_metadata_timeout) {
  UpstreamConfig defaults;
  BOOST_TEST(defaults.import_timeout.count() == 8);  // Terraform and OpenTofu give up after 10 s, then retry
  BOOST_TEST(UpstreamSlots::waiting_for(8) == 4u);
  BOOST_TEST(UpstreamSlots::waiting_for(1) == 1u);
}

BOOST_AUTO_TEST_CASE(made_up_provider_names_never_push_out_the_listing_of_a_real_one) {
  Upstream up;
  up.transport.on("GET", std::string(testing::kUp) + "/v1/providers/", testing::ScriptedAnswer(404));
  PullThroughApp p(up);
  BOOST_TEST(call(*p.app, "/mirror/registry.terraform.io/acme/widget/index.json").status == 200);
  for (std::size_t i = 0; i < PullThrough::kMaxListings + 10; ++i)
    call(*p.app, "/mirror/registry.terraform.io/acme/made-up-" + std::to_string(i) + "/index.json");
  // The real provider's listing was kept: no second versions request for it.
  BOOST_TEST(call(*p.app, "/mirror/registry.terraform.io/acme/widget/index.json").status == 200);
  BOOST_TEST(p.upstream_calls("/acme/widget/versions") == 1u);
  // The made-up names are remembered up to their own bound, the oldest dropped first.
  const std::size_t asked = p.upstream_calls("/versions");
  call(*p.app, "/mirror/registry.terraform.io/acme/made-up-" + std::to_string(PullThrough::kMaxListings + 9) +
                   "/index.json");
  BOOST_TEST(p.upstream_calls("/versions") == asked);  // the newest is still kept
  call(*p.app, "/mirror/registry.terraform.io/acme/made-up-0/index.json");
  BOOST_TEST(p.upstream_calls("/versions") == asked + 1);  // the oldest is not
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
