#include <boost/test/unit_test.hpp>

#include "server/access.h"
#include "server/application.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

namespace otr {
namespace {

testing::Answer scrape(RegistryApp& app, const std::string& from, const std::string& authorization = "") {
  Request r;
  r.method = "GET";
  r.path = "/metrics";
  r.remote_addr = from;
  r.request_id = "t";
  if (!authorization.empty()) r.headers.add("Authorization", authorization);
  BufferSink sink;
  app.handle(r, sink);
  return {sink.status, sink.headers, sink.body};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(access)

BOOST_AUTO_TEST_CASE(addresses_in_ranges) {
  const std::vector<std::string> ranges = {"127.0.0.0/8", "::1/128", "10.1.0.0/16", "192.0.2.7"};
  BOOST_TEST(address_in("127.0.0.1", ranges));
  BOOST_TEST(address_in("::1", ranges));
  BOOST_TEST(address_in("10.1.200.3", ranges));
  BOOST_TEST(address_in("::ffff:10.1.0.9", ranges));  // IPv4-mapped, as some web servers pass it
  BOOST_TEST(address_in("192.0.2.7", ranges));
  BOOST_TEST(!address_in("192.0.2.8", ranges));
  BOOST_TEST(!address_in("10.2.0.1", ranges));
  BOOST_TEST(!address_in("::2", ranges));
  BOOST_TEST(!address_in("", ranges));
  BOOST_TEST(!address_in("not an address", ranges));
}

BOOST_AUTO_TEST_CASE(secrets_compare_whole) {
  BOOST_TEST(secrets_equal("s3cret", "s3cret"));
  BOOST_TEST(!secrets_equal("s3cre", "s3cret"));
  BOOST_TEST(!secrets_equal("", "s3cret"));
}

BOOST_AUTO_TEST_CASE(metrics_are_off_by_default_and_then_only_for_allowed_callers) {
  testing::FakeClock clock;
  testing::FakeTransport net;
  PoolMetrics metrics;
  Config off = parse_config("provider_mirror \"m\" { origin_url = \"https://r.test\" }\n", "t.hcl");
  RegistryApp plain(off, clock, net, metrics);
  BOOST_TEST(scrape(plain, "127.0.0.1").status == 404);

  Config on = parse_config("provider_mirror \"m\" { origin_url = \"https://r.test\" }\n"
                           "server {\n  metrics = true\n  metrics_allow = [\"10.0.0.0/8\"]\n}\n",
                           "t.hcl");
  BOOST_TEST(on.server.metrics_token.empty());
  on.server.metrics_token = "tok";  // as metrics_token_file or metrics_token_env would give it
  RegistryApp app(on, clock, net, metrics);
  BOOST_TEST(scrape(app, "127.0.0.1").status == 403);  // not in metrics_allow
  testing::Answer ok = scrape(app, "10.9.8.7");
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(ok.headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(ok.body.find("# TYPE otr_requests_total counter") != std::string::npos);
  BOOST_TEST(scrape(app, "127.0.0.1", "Bearer tok").status == 200);
  BOOST_TEST(scrape(app, "127.0.0.1", "Bearer wrong").status == 403);
  // The scrapes themselves are counted.
  BOOST_TEST(metrics.render(0).find("kind=\"metrics\",code=\"403\"} ") != std::string::npos);
}

// Issue 18, finding 7: behind a TLS terminator or tunnel on the same host every client is loopback,
// so loopback gets the metrics only when metrics_allow names it; metrics no one can reach are warned of.
BOOST_AUTO_TEST_CASE(loopback_is_allowed_only_when_listed) {
  testing::FakeClock clock;
  testing::FakeTransport net;
  PoolMetrics metrics;
  const std::string mirror = "provider_mirror \"m\" { origin_url = \"https://r.test\" }\n";
  auto warned = [](const Config& c) {
    for (const Diagnostic& d : c.warnings)
      if (d.message.find("every GET /metrics is refused") != std::string::npos) return true;
    return false;
  };

  Config bare = parse_config(mirror + "server {\n  metrics = true\n}\n", "t.hcl");
  BOOST_TEST(bare.server.metrics_allow.empty());
  BOOST_TEST(warned(bare));
  RegistryApp closed(bare, clock, net, metrics);
  BOOST_TEST(scrape(closed, "127.0.0.1").status == 403);
  BOOST_TEST(scrape(closed, "::1").status == 403);
  BOOST_TEST(scrape(closed, "::ffff:127.0.0.1").status == 403);

  Config listed = parse_config(mirror + "server {\n  metrics = true\n  metrics_allow = [\"127.0.0.0/8\", \"::1/128\"]\n}\n",
                               "t.hcl");
  BOOST_TEST(!warned(listed));
  RegistryApp open(listed, clock, net, metrics);
  BOOST_TEST(scrape(open, "127.0.0.1").status == 200);
  BOOST_TEST(scrape(open, "::1").status == 200);

  ::setenv("OTR_ACCESS_TEST_METRICS_TOKEN", "tok", 1);
  Config token = parse_config(mirror + "server {\n  metrics = true\n  metrics_token_env = \"OTR_ACCESS_TEST_METRICS_TOKEN\"\n}\n",
                              "t.hcl");
  ::unsetenv("OTR_ACCESS_TEST_METRICS_TOKEN");
  BOOST_TEST(!warned(token));
  RegistryApp by_token(token, clock, net, metrics);
  BOOST_TEST(scrape(by_token, "127.0.0.1").status == 403);
  BOOST_TEST(scrape(by_token, "127.0.0.1", "Bearer tok").status == 200);

  Config off = parse_config(mirror + "server {\n  metrics = false\n}\n", "t.hcl");
  BOOST_TEST(!warned(off));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
