// The router: every kind of service, discovery, healthz, unknown services, methods and paths.
#include <boost/test/unit_test.hpp>

#include "server/application.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/published_layout.h"

using namespace otr;
using otr::testing::call;

namespace {

using App = otr::testing::LayoutApp;

}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(healthz_needs_no_origin) {
  App a;
  auto r = call(a.app, "/healthz");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "{\"status\":\"ok\"}\n");
  BOOST_TEST(r.headers.get("Cache-Control") == "no-store");
  BOOST_TEST(a.net.seen.empty());
}

BOOST_AUTO_TEST_CASE(discovery_names_the_registries_under_the_mount) {
  App a;
  auto r = call(a.app, "/.well-known/terraform.json");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "{\"modules.v1\":\"/modules/\",\"providers.v1\":\"/registry/\"}\n");
  auto mounted = call(a.app, "/.well-known/terraform.json", "GET", {}, "/tf");
  BOOST_TEST(mounted.body == "{\"modules.v1\":\"/tf/modules/\",\"providers.v1\":\"/tf/registry/\"}\n");
  BOOST_TEST(call(a.app, "/.well-known/terraform.json/").status == 404);
  BOOST_TEST(call(a.app, "/.well-known/other.json").status == 404);
}

BOOST_AUTO_TEST_CASE(without_registries_discovery_is_404) {
  otr::testing::PublishedLayout layout;
  Config config = parse_config("provider_mirror \"m\" {\n  origin_url = \"file://" + layout.directory() +
                                   "\"\n}\nserver {\n  query_string_secret = \"" + otr::testing::kTestSecret + "\"\n}\n",
                               "t.hcl");
  otr::testing::FakeClock clock;
  RegistryApp app(config, clock);
  BOOST_TEST(call(app, "/.well-known/terraform.json").status == 404);
}

BOOST_AUTO_TEST_CASE(each_kind_of_service_is_found_by_its_name) {
  App a;
  BOOST_TEST(call(a.app, "/mirror/registry.terraform.io/acme/widget/index.json").status == 200);
  BOOST_TEST(call(a.app, "/registry/acme/widget/versions").status == 200);
  BOOST_TEST(call(a.app, "/modules/acme/net/aws/versions").status == 200);
  auto names = a.app.top_level_names();
  BOOST_TEST((names == std::vector<std::string>{"healthz", ".well-known", "mirror", "modules", "registry"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unknown_service_is_404_naming_the_ones_there_are) {
  App a;
  auto r = call(a.app, "/nope/x");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.body.find("configured services: /mirror/, /modules/, /registry/") != std::string::npos, r.body);
  auto prefixed = call(a.app, "/tf/mirror/registry.terraform.io/acme/widget/index.json");
  BOOST_TEST(prefixed.status == 404);
  BOOST_TEST(prefixed.body.find("fastcgi_split_path_info ^(/tf)(/.*)$;") != std::string::npos, prefixed.body);
  BOOST_TEST(call(a.app, "/").status == 404);
}

BOOST_AUTO_TEST_CASE(only_get_and_head) {
  App a;
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    auto r = call(a.app, "/healthz", method);
    BOOST_TEST(r.status == 405, method);
    BOOST_TEST(r.headers.get("Allow") == "GET, HEAD");
  }
  BOOST_TEST(call(a.app, "/healthz", "HEAD").status == 200);
}

BOOST_AUTO_TEST_CASE(paths_that_must_not_reach_an_origin) {
  App a;
  BOOST_TEST(call(a.app, "/mirror/%2e%2e/x").status == 400);
  BOOST_TEST(call(a.app, "/mirror/a%2Fb/c/index.json").status == 400);
  BOOST_TEST(call(a.app, "/mirror//x").status == 404);
  BOOST_TEST(call(a.app, "/" + std::string(3000, 'a')).status == 400);
  Request bad;
  bad.method = "GET";
  bad.path = "/healthz";
  bad.bad_request = "the web server passed a SCRIPT_NAME that is not a path";
  BufferSink sink;
  a.app.handle(bad, sink);
  BOOST_TEST(sink.status == 400);
}

BOOST_AUTO_TEST_CASE(a_service_root_redirects_to_its_page) {
  App a;
  auto r = call(a.app, "/mirror", "GET", {}, "/tf");
  BOOST_TEST(r.status == 301);
  BOOST_TEST(r.headers.get("Location") == "/tf/mirror/");
  auto page = call(a.app, "/mirror/", "GET", {}, "/tf");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.headers.get("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(page.body.find("url = \"https://tf.example.com/tf/mirror/\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_origin_failure_is_answered_by_the_router_with_the_request_id) {
  otr::testing::FakeClock clock;
  otr::testing::FakeTransport net;
  net.on("GET", "https://registry.test/", {0, {}, "", TransportError::kUnreachable});
  Config config = parse_config("provider_mirror \"remote\" {\n  origin_url = \"https://registry.test\"\n}\n", "t.hcl");
  RegistryApp app(config, clock, net);
  auto r = call(app, "/remote/registry.terraform.io/acme/widget/index.json");
  BOOST_TEST(r.status == 502);
  BOOST_TEST(r.body.find("request id test-request") != std::string::npos, r.body);
  BOOST_TEST(r.body.find("registry.test") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
