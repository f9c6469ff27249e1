#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "publish/online_check.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

using namespace otr;
using otr::testing::FakeClock;
using otr::testing::FakeTransport;
using otr::testing::ScriptedAnswer;

namespace {

const std::string kRegistry = "https://r.example";
const std::string kPassword = "s3cret-pw";
const ScriptedAnswer kBasicChallenge{401, {{"WWW-Authenticate", "Basic realm=\"test\""}}};

ProviderMirrorConfig service(bool importing = false) {
  ProviderMirrorConfig s;
  s.name = "mirror";
  s.origin_url = kRegistry;
  s.name_prefix = "terraform-providers";
  s.credentials.username = "robot";
  s.credentials.password = kPassword;
  if (importing) {
    s.upstream.url = "https://up.example";
    s.upstream.write_credentials = s.credentials;
  }
  return s;
}

// A registry behind Basic auth with two repositories under the prefix (and one elsewhere).
void basic_registry(FakeTransport& t) {
  t.on("GET", kRegistry + "/v2/_catalog",
       {200, {}, R"({"repositories":["other/x","terraform-providers/hashicorp/null","terraform-providers/acme/w"]})"});
  t.on("GET", kRegistry + "/v2/terraform-providers/hashicorp/null/tags/list", {200, {}, R"({"tags":["1.0.0","2.0.0"]})"});
  t.on("GET", kRegistry + "/v2/", kBasicChallenge, 1);
  t.on("GET", kRegistry + "/v2/", {200, {}, "{}"});
}

void upstream(FakeTransport& t) {
  t.on("GET", "https://up.example/.well-known/terraform.json", {200, {}, R"({"providers.v1":"/v1/providers/"})"});
}

bool has(const std::string& line, const std::string& part) { return line.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(online_check)

BOOST_AUTO_TEST_CASE(a_reachable_registry_with_accepted_credentials_lists_and_may_push) {
  FakeTransport t;
  FakeClock clock;
  t.on("POST", kRegistry + "/v2/terraform-providers/hashicorp/null/blobs/uploads/", kBasicChallenge, 1);
  t.on("POST", kRegistry + "/v2/terraform-providers/hashicorp/null/blobs/uploads/",
       {202, {{"Location", "/v2/terraform-providers/hashicorp/null/blobs/uploads/u1?_state=x"}}});
  t.on("DELETE", kRegistry + "/v2/terraform-providers/hashicorp/null/blobs/uploads/u1", {204});
  basic_registry(t);
  upstream(t);
  OnlineCheck c = check_service_online(service(true), t, clock);
  BOOST_TEST(c.ok, c.line);
  BOOST_TEST(c.line ==
             "mirror: registry https://r.example reachable (TLS ok), credentials accepted, 2 repositories under "
             "terraform-providers, tags of terraform-providers/hashicorp/null: 2, push: yes, upstream "
             "https://up.example reachable (providers.v1 /v1/providers/)");
  bool cancelled = false;
  for (const OutgoingRequest& r : t.seen) {
    if (r.method == "DELETE") cancelled = true;
    BOOST_TEST(r.method != "PUT");  // nothing is ever written
  }
  BOOST_TEST(cancelled);
  BOOST_TEST(!has(c.line, kPassword));
}

BOOST_AUTO_TEST_CASE(refused_credentials_name_the_service_without_the_password) {
  FakeTransport t;
  FakeClock clock;
  t.on("GET", kRegistry + "/v2/", kBasicChallenge);
  OnlineCheck c = check_service_online(service(), t, clock);
  BOOST_TEST(!c.ok);
  BOOST_TEST(c.line == "mirror: registry https://r.example reachable (TLS ok), credentials refused (401)");
  BOOST_TEST(!has(c.line, kPassword));
  BOOST_TEST(!has(c.line, "robot:"));
}

BOOST_AUTO_TEST_CASE(a_token_service_that_refuses_the_credentials_is_named) {
  FakeTransport t;
  FakeClock clock;
  t.on("GET", "https://auth.example/token", {401, {}, R"({"details":"bad"})"});
  t.on("GET", kRegistry + "/v2/",
       {401, {{"WWW-Authenticate", "Bearer realm=\"https://auth.example/token\",service=\"reg\""}}});
  OnlineCheck c = check_service_online(service(), t, clock);
  BOOST_TEST(!c.ok);
  BOOST_TEST(c.line == "mirror: registry https://r.example reachable, credentials refused by its token service");
  BOOST_TEST(!has(c.line, kPassword));
}

BOOST_AUTO_TEST_CASE(an_anonymous_service_of_a_protected_registry_says_credentials_are_missing) {
  FakeTransport t;
  FakeClock clock;
  t.on("GET", kRegistry + "/v2/", kBasicChallenge);
  ProviderMirrorConfig s = service();
  s.credentials = {};
  OnlineCheck c = check_service_online(s, t, clock);
  BOOST_TEST(!c.ok);
  BOOST_TEST(has(c.line, "requires credentials and origin_credentials are not configured"), c.line);
}

BOOST_AUTO_TEST_CASE(an_unreachable_registry_fails) {
  FakeTransport t;
  FakeClock clock;
  t.on("GET", kRegistry + "/v2/", {0, {}, "", TransportError::kUnreachable});
  OnlineCheck c = check_service_online(service(), t, clock);
  BOOST_TEST(!c.ok);
  BOOST_TEST(c.line == "mirror: registry https://r.example unreachable (scripted failure)");
  BOOST_TEST(t.seen.size() == 1u);
  BOOST_TEST(t.seen[0].connect_timeout.count() == 5);  // the configuration's timeouts
}

BOOST_AUTO_TEST_CASE(a_registry_without_catalog_is_said_so_and_is_no_failure) {
  FakeTransport t;
  FakeClock clock;
  t.on("GET", kRegistry + "/v2/_catalog", {404, {}, R"({"errors":[{"code":"UNSUPPORTED"}]})"});
  t.on("GET", kRegistry + "/v2/", {200, {}, "{}"});
  ProviderMirrorConfig s = service();
  s.credentials = {};
  OnlineCheck c = check_service_online(s, t, clock);
  BOOST_TEST(c.ok, c.line);
  BOOST_TEST(c.line ==
             "mirror: registry https://r.example reachable (TLS ok), anonymous access, cannot list repositories: the "
             "registry offers no _catalog API (404)");
}

BOOST_AUTO_TEST_CASE(refused_push_fails_an_importing_service) {
  FakeTransport t;
  FakeClock clock;
  t.on("POST", kRegistry + "/v2/terraform-providers/hashicorp/null/blobs/uploads/", {403, {}, R"({"errors":[]})"});
  basic_registry(t);
  upstream(t);
  OnlineCheck c = check_service_online(service(true), t, clock);
  BOOST_TEST(!c.ok);
  BOOST_TEST(has(c.line, "credentials accepted"), c.line);
  BOOST_TEST(has(c.line, "push: no, refused (403)"), c.line);
  BOOST_TEST(has(c.line, "upstream https://up.example reachable"), c.line);
}

BOOST_AUTO_TEST_CASE(push_with_no_repository_listed_is_tried_on_a_probe_under_the_prefix) {
  FakeTransport t;
  FakeClock clock;
  t.on("POST", kRegistry + "/v2/terraform-providers/oci-distribution-terraform-registry-check/blobs/uploads/",
       {202, {{"Location", kRegistry + "/v2/terraform-providers/oci-distribution-terraform-registry-check/blobs/uploads/u"}}});
  t.on("DELETE", kRegistry + "/v2/terraform-providers/oci-distribution-terraform-registry-check/blobs/uploads/u", {204});
  t.on("GET", kRegistry + "/v2/_catalog", {200, {}, R"({"repositories":[]})"});
  t.on("GET", kRegistry + "/v2/", {200, {}, "{}"});
  upstream(t);
  OnlineCheck c = check_service_online(service(true), t, clock);
  BOOST_TEST(c.ok, c.line);
  BOOST_TEST(has(c.line, "0 repositories under terraform-providers, push: yes"), c.line);
}

BOOST_AUTO_TEST_CASE(an_unreachable_upstream_fails) {
  FakeTransport t;
  FakeClock clock;
  t.on("POST", kRegistry + "/v2/", {202, {}});
  t.on("GET", "https://up.example/", {0, {}, "", TransportError::kUnreachable});
  basic_registry(t);
  OnlineCheck c = check_service_online(service(true), t, clock);
  BOOST_TEST(!c.ok);
  BOOST_TEST(has(c.line, "upstream https://up.example: "), c.line);
}

BOOST_AUTO_TEST_CASE(a_layout_is_read_and_its_repositories_counted) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("online-check-" + std::to_string(::getpid()));
  fs::create_directories(dir / "blobs" / "sha256");
  std::ofstream(dir / "index.json")
      << R"({"schemaVersion":2,"manifests":[)"
         R"({"annotations":{"org.opencontainers.image.ref.name":"terraform-providers/a/b:1.0.0"}},)"
         R"({"annotations":{"org.opencontainers.image.ref.name":"terraform-providers/a/b:2.0.0"}},)"
         R"({"annotations":{"org.opencontainers.image.ref.name":"elsewhere/c:1.0.0"}}]})";
  ProviderMirrorConfig s = service();
  s.origin_url = "file://" + dir.string();
  FakeTransport t;
  FakeClock clock;
  OnlineCheck c = check_service_online(s, t, clock);
  BOOST_TEST(c.ok, c.line);
  BOOST_TEST(c.line == "mirror: layout " + dir.string() + " readable, 1 repository under terraform-providers");
  s.origin_url = "file://" + (dir / "missing").string();
  BOOST_TEST(!check_service_online(s, t, clock).ok);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
