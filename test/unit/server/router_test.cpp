// The router: every kind of service, discovery, healthz, unknown services, methods and paths.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "base/base64.h"
#include "http/authorization.h"
#include "server/application.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/published_layout.h"

using namespace otr;
using otr::testing::call;
using otr::testing::first_error;

namespace {

using App = otr::testing::LayoutApp;

// The three kinds of service reading a registry through the fake transport, which records every call.
struct RemoteApp {
  otr::testing::FakeClock clock;
  otr::testing::FakeTransport net;
  Config config = parse_config(
      "provider_mirror \"mirror\" {\n  origin_url = \"https://registry.test\"\n}\n"
      "provider_registry \"registry\" {\n  origin_url = \"https://registry.test\"\n  signing_key_file = \"" +
          std::filesystem::absolute("../data/signing/unit-test-key.gpg").string() + "\"\n}\n"
      "module_registry \"modules\" {\n  origin_url = \"https://registry.test\"\n}\n"
      "server {\n  query_string_secret = \"" + std::string(otr::testing::kTestSecret) + "\"\n  metrics = true\n}\n",
      "t.hcl");
  RegistryApp app{config, clock, net};
};

// A route of every kind: the catalogue pages, each protocol, a download, discovery, health, metrics.
const std::vector<std::string> kEveryRoute = {
    "/mirror/", "/modules/", "/registry/", "/mirror/_catalogue/registry.terraform.io/acme/widget/",
    "/mirror/registry.terraform.io/acme/widget/index.json", "/registry/acme/widget/versions",
    "/registry/acme/widget/1.0.0/download/linux/amd64", "/modules/acme/net/aws/versions",
    "/modules/acme/net/aws/1.0.0/download", "/mirror/_packages/sha256:" + std::string(64, 'a') + "/x.zip?token=t",
    "/.well-known/terraform.json", "/healthz", "/metrics"};

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

BOOST_AUTO_TEST_CASE(malformed_credentials_are_refused_before_any_registry_call) {
  // Once passed on as they came: the registry answered 400, and the catalogue pages made that a 502.
  RemoteApp a;
  const std::vector<std::string> malformed = {
      std::string("Basic dXNlcjpwYXNz\x01"), "Basic \x7f", "Bearer a\tb", "Bearer tok\xc3\xa9n", "Basic !!!!",
      "Basic dXNlcg==" /* "user": no colon */, "Basic dXNlcjpwYXNz=" /* not canonical */,
      "Basic " + base64_encode(std::string("user:pa\nss")), "Basic", "Bearer", "Bearer a b", "Bearer a,b=c",
      "Bearer " + std::string(kMaxAuthorizationLength, 'a'), "(bad) x", "=abc"};
  for (const std::string& route : kEveryRoute)
    for (const std::string& header : malformed) {
      auto r = call(a.app, route, "GET", {{"Authorization", header}});
      BOOST_TEST(r.status == 400, route << " " << header.substr(0, 40));
      BOOST_TEST(first_error(r).starts_with("the Authorization header is malformed: "), first_error(r));
      BOOST_TEST(r.body.find(header) == std::string::npos);  // never echoed
      BOOST_TEST(call(a.app, route, "HEAD", {{"Authorization", header}}).status == 400);
    }
  BOOST_TEST(a.net.seen.empty(), a.net.seen.size() << " registry calls");
}

BOOST_AUTO_TEST_CASE(credentials_of_a_scheme_no_registry_takes_are_refused_with_the_challenge) {
  RemoteApp a;
  for (const std::string& route : kEveryRoute)
    for (const char* header : {"Digest username=\"u\", realm=\"r\"", "Negotiate YII=", "Token abc"}) {
      auto r = call(a.app, route, "GET", {{"Authorization", header}});
      BOOST_TEST(r.status == 401, route << " " << header);
      BOOST_TEST(r.headers.get("WWW-Authenticate").starts_with("Bearer "));
    }
  BOOST_TEST(a.net.seen.empty());
}

BOOST_AUTO_TEST_CASE(well_formed_basic_and_bearer_credentials_pass_through) {
  RemoteApp a;
  const std::string tags = "https://registry.test/v2/registry.terraform.io/acme/widget/tags/list";
  a.net.on("GET", tags, {200, {}, R"({"name":"x","tags":["1.0.0"]})"});
  const std::string index = "/mirror/registry.terraform.io/acme/widget/index.json";
  const std::string basic = "Basic " + base64_encode("alice:s3cret: with spaces");
  for (const std::string& header : {basic, std::string("Bearer eyJhbGciOi.J9-_~+/x=="), std::string("bearer  abc")}) {
    a.net.seen.clear();
    auto r = call(a.app, index, "GET", {{"Authorization", header}});
    BOOST_TEST(r.status == 200, header << ": " << r.body);
    BOOST_TEST_REQUIRE(a.net.seen.size() == 1u, header);
    BOOST_TEST(otr::testing::FakeTransport::authorization(a.net.seen[0]) == header);
  }
  BOOST_TEST(call(a.app, index, "GET", {{"Authorization", ""}}).status == 200);  // empty is none
  BOOST_TEST(call(a.app, "/healthz", "GET", {{"Authorization", basic}}).status == 200);
}

BOOST_AUTO_TEST_CASE(a_registry_400_to_the_callers_credentials_is_401_not_502) {
  // Well-formed to us, refused as unreadable by the registry: the caller's problem, not the registry's.
  RemoteApp a;
  a.net.on("GET", "https://registry.test/v2/_catalog", {400, {}, R"({"errors":[{"code":"UNKNOWN"}]})"});
  a.net.on("GET", "https://registry.test/v2/", {400, {}, ""});
  for (const std::string& route : {std::string("/modules/"), std::string("/registry/"),
                                   std::string("/mirror/registry.terraform.io/acme/widget/index.json")}) {
    auto r = call(a.app, route, "GET", {{"Authorization", "Bearer x"}});
    BOOST_TEST(r.status == 401, route << ": " << r.body);
    BOOST_TEST(call(a.app, route, "HEAD", {{"Authorization", "Bearer x"}}).status == 401, route);
    // Without the caller's credentials a 400 is the registry's own failure.
    BOOST_TEST(call(a.app, route).status == 502, route);
  }
}

BOOST_AUTO_TEST_SUITE_END()
