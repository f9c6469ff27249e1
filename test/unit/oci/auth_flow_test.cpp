// The bearer challenge flow against a scripted registry and a clock the test moves: tokens are
// reused until shortly before they expire, and never cross from one identity to another.
#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "oci/auth.h"
#include "oci/client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

using namespace otr;
using otr::testing::FakeClock;
using otr::testing::FakeTransport;

namespace {

const std::string kRegistry = "https://registry.test";
const std::string kTags = kRegistry + "/v2/acme/widget/tags/list";
const std::string kChallenge = "Bearer realm=\"https://auth.test/token\",service=\"registry\"";

// A fresh transport whose tag list first challenges, then answers whatever token comes.
FakeTransport challenging() {
  FakeTransport net;
  net.on("GET", kTags, {401, {{"WWW-Authenticate", kChallenge}}}, 1);
  net.on("GET", "https://auth.test/token", {200, {}, R"({"token":"issued","expires_in":60})"});
  net.on("GET", kTags, {200, {}, R"({"name":"acme/widget","tags":["1.0.0"]})"});
  return net;
}

RegistryEndpoint endpoint(const std::string& user = "", const std::string& password = "") {
  RegistryEndpoint e;
  e.base_url = kRegistry;
  e.credentials.username = user;
  e.credentials.password = password;
  return e;
}

int token_calls(const FakeTransport& net) {
  int n = 0;
  for (const OutgoingRequest& r : net.seen) n += r.url.rfind("https://auth.test/", 0) == 0;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_flow)

BOOST_AUTO_TEST_CASE(a_token_is_reused_until_shortly_before_it_expires) {
  FakeClock clock;
  AuthCache auth(clock);
  FakeTransport net = challenging();
  RegistryEndpoint e = endpoint();
  RequestStats stats;
  OciClient(e, auth, "", stats, net).find_tags("acme/widget");
  BOOST_TEST(token_calls(net) == 1);
  clock.advance(Seconds(50));  // 60 s tokens are renewed after 54 s
  OciClient(e, auth, "", stats, net).find_tags("acme/widget");
  BOOST_TEST(token_calls(net) == 1);
  BOOST_TEST(FakeTransport::authorization(net.seen.back()) == "Bearer issued");
  clock.advance(Seconds(5));
  // Expired for us: the request goes without it, is challenged again, and a new token is fetched.
  FakeTransport again = challenging();
  OciClient(e, auth, "", stats, again).find_tags("acme/widget");
  BOOST_TEST(token_calls(again) == 1);
  BOOST_TEST(FakeTransport::authorization(again.seen.front()) == "");  // the expired token was not sent
}

BOOST_AUTO_TEST_CASE(tokens_never_cross_between_identities) {
  FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  FakeTransport robot_net = challenging();
  RegistryEndpoint robot = endpoint("robot", "secret");
  OciClient(robot, auth, "", stats, robot_net).find_tags("acme/widget");
  BOOST_TEST(FakeTransport::authorization(robot_net.seen[1]) == "Basic cm9ib3Q6c2VjcmV0");  // to the realm

  // Anonymous, on the same registry and repository: not the robot's token; a token of its own.
  FakeTransport anon_net = challenging();
  RegistryEndpoint anonymous = endpoint();
  OciClient(anonymous, auth, "", stats, anon_net).find_tags("acme/widget");
  BOOST_TEST(FakeTransport::authorization(anon_net.seen[0]) == "");
  BOOST_TEST(FakeTransport::authorization(anon_net.seen[1]) == "");  // anonymous token request
  BOOST_TEST(token_calls(anon_net) == 1);

  // Another password for the same user is another identity.
  FakeTransport other_net = challenging();
  RegistryEndpoint other = endpoint("robot", "other");
  OciClient(other, auth, "", stats, other_net).find_tags("acme/widget");
  BOOST_TEST(token_calls(other_net) == 1);
}

BOOST_AUTO_TEST_CASE(a_callers_own_authorization_goes_as_is_and_is_never_cached) {
  FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  FakeTransport net;
  net.on("GET", kTags, {200, {}, R"({"name":"acme/widget","tags":["1.0.0"]})"});
  RegistryEndpoint e = endpoint("robot", "secret");
  OciClient(e, auth, "Bearer callers-own", stats, net).find_tags("acme/widget");
  BOOST_TEST(FakeTransport::authorization(net.seen[0]) == "Bearer callers-own");
  OciClient(e, auth, "", stats, net).find_tags("acme/widget");
  BOOST_TEST(FakeTransport::authorization(net.seen[1]) == "");  // nothing of the caller's was kept
  // A caller's token that the registry refuses is the answer: no challenge is answered for it.
  FakeTransport refusing;
  refusing.on("GET", kTags, {401, {{"WWW-Authenticate", kChallenge}}});
  BOOST_CHECK_THROW(OciClient(e, auth, "Bearer stale", stats, refusing).find_tags("acme/widget"), Error);
  BOOST_TEST(token_calls(refusing) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
