// What one caller's credentials fetched is never answered to another: the metadata cache is keyed
// by service and caller.
#include <boost/test/unit_test.hpp>

#include "server/application.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

using namespace otr;
using otr::testing::call;

BOOST_AUTO_TEST_SUITE(callers)

BOOST_AUTO_TEST_CASE(a_cached_answer_is_only_for_the_caller_who_got_it) {
  otr::testing::FakeClock clock;
  otr::testing::FakeTransport net;
  const std::string tags = "https://registry.test/v2/terraform-providers/registry.terraform.io/acme/private/tags/list";
  // The registry lets Alice see the tags (the app passes her header on), and nobody else.
  net.on("GET", tags, {200, {}, R"({"name":"x","tags":["1.0.0"]})"}, 1);
  net.on("GET", tags, {401, {{"WWW-Authenticate", "Basic realm=\"r\""}}});
  Config config = parse_config("provider_mirror \"m\" {\n  origin_url = \"https://registry.test\"\n"
                               "  name_prefix = \"terraform-providers\"\n}\n", "t.hcl");
  RegistryApp app(config, clock, net);
  const std::string index = "/m/registry.terraform.io/acme/private/index.json";
  auto alice = call(app, index, "GET", {{"Authorization", "Bearer alice"}});
  BOOST_TEST(alice.status == 200);
  BOOST_TEST(otr::testing::FakeTransport::authorization(net.seen[0]) == "Bearer alice");
  BOOST_TEST(call(app, index, "GET", {{"Authorization", "Bearer alice"}}).status == 200);  // from the cache
  BOOST_TEST(net.seen.size() == 1u);
  auto anonymous = call(app, index);
  BOOST_TEST(anonymous.status == 401);  // asked the registry, which said no
  BOOST_TEST(net.seen.size() == 2u);
  BOOST_TEST(call(app, index, "GET", {{"Authorization", "Bearer mallory"}}).status == 401);
  // And the tag list lives only for tags_cache_ttl.
  clock.advance(Seconds(31));
  BOOST_TEST(call(app, index, "GET", {{"Authorization", "Bearer alice"}}).status == 401);  // asked again
}

BOOST_AUTO_TEST_SUITE_END()
