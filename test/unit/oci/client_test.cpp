// The registry client's credential rules and challenge flow, against a scripted transport.
#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "base/sha256.h"
#include "oci/client.h"
#include "oci/push.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

using namespace otr;
using otr::testing::FakeTransport;
using otr::testing::ScriptedAnswer;

namespace {

RegistryEndpoint endpoint(const std::string& base, const std::string& user = "", const std::string& password = "") {
  RegistryEndpoint e;
  e.base_url = base;
  e.credentials.username = user;
  e.credentials.password = password;
  return e;
}

const std::string kBasicRobot = "Basic cm9ib3Q6c2VjcmV0";  // robot:secret

}  // namespace

BOOST_AUTO_TEST_SUITE(oci_client)

BOOST_AUTO_TEST_CASE(push_never_sends_credentials_to_an_upload_location_on_another_host) {
  FakeTransport net;
  const std::string registry = "http://registry.test:5000";
  net.on("HEAD", registry + "/v2/acme/widget/blobs/", {401, {{"WWW-Authenticate", "Basic realm=\"r\""}}}, 1);
  net.on("HEAD", registry + "/v2/acme/widget/blobs/", {404});
  net.on("POST", registry + "/v2/acme/widget/blobs/uploads/",
         {202, {{"Location", "http://storage.elsewhere:9000/upload/abc?state=1"}}});
  net.on("PUT", "http://storage.elsewhere:9000/upload/abc", {201});
  RegistryTarget target(endpoint(registry, "robot", "secret"), net);
  const std::string data = "package bytes";
  target.put_blob("acme/widget", {"sha256:" + sha256_hex(data), static_cast<std::int64_t>(data.size()), "", data},
                  nullptr);
  BOOST_REQUIRE(net.seen.size() == 4);
  BOOST_TEST(FakeTransport::authorization(net.seen[1]) == kBasicRobot);  // the registry itself
  BOOST_TEST(FakeTransport::authorization(net.seen[2]) == kBasicRobot);
  BOOST_TEST(net.seen[3].url.rfind("http://storage.elsewhere:9000/upload/abc?state=1&digest=sha256:", 0) == 0);
  BOOST_TEST(FakeTransport::authorization(net.seen[3]) == "");  // never to the other host
}

BOOST_AUTO_TEST_CASE(a_challenge_from_another_host_is_not_answered) {
  FakeTransport net;
  net.on("PUT", "https://storage.elsewhere/upload", {401, {{"WWW-Authenticate", "Basic realm=\"storage\""}}});
  RegistryEndpoint e = endpoint("https://registry.test", "robot", "secret");
  otr::testing::FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(e, auth, "", stats, net);
  OutgoingRequest put = client.make_request("PUT", "https://storage.elsewhere/upload?digest=x");
  IncomingResponse r = client.fetch(put, "acme/widget", "pull,push");
  BOOST_TEST(r.status == 401);
  BOOST_TEST(net.seen.size() == 1u);  // no second try with credentials
  BOOST_TEST(FakeTransport::authorization(net.seen[0]) == "");
}

BOOST_AUTO_TEST_CASE(default_ports_are_the_same_origin) {
  FakeTransport net;
  net.on("PUT", "https://registry.test:443/v2/acme/widget/manifests/1.0.0", {201});
  RegistryEndpoint e = endpoint("https://registry.test");
  e.credentials.token = "configured-token";
  otr::testing::FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(e, auth, "", stats, net);
  client.fetch(client.make_request("PUT", "https://registry.test:443/v2/acme/widget/manifests/1.0.0"), "acme/widget",
              "pull,push");
  BOOST_TEST(FakeTransport::authorization(net.seen.at(0)) == "Bearer configured-token");
}

BOOST_AUTO_TEST_CASE(an_https_registry_never_sends_credentials_to_a_plain_http_token_service) {
  FakeTransport net;
  net.on("GET", "https://registry.test/v2/acme/widget/tags/list",
         {401, {{"WWW-Authenticate", "Bearer realm=\"http://auth.test/token\",service=\"registry\""}}});
  net.on("GET", "http://auth.test/token", {200, {}, R"({"token":"t"})"});
  RegistryEndpoint e = endpoint("https://registry.test", "robot", "secret");
  otr::testing::FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(e, auth, "", stats, net);
  try {
    client.find_tags("acme/widget");
    BOOST_FAIL("expected a Error");
  } catch (const Error& error) {
    BOOST_TEST((error.kind() == ErrorKind::kBadResponse));
    BOOST_TEST(std::string(error.what()).find("plain http://") != std::string::npos);
  }
  for (const OutgoingRequest& r : net.seen) BOOST_TEST(r.url.rfind("http://auth.test", 0) != 0);
}

BOOST_AUTO_TEST_CASE(an_https_token_service_gets_the_configured_credentials_once) {
  FakeTransport net;
  const std::string tags = "https://registry.test/v2/acme/widget/tags/list";
  net.on("GET", tags, {401, {{"WWW-Authenticate",
                              "Bearer realm=\"https://auth.test/token\",service=\"registry\","
                              "scope=\"repository:acme/widget:pull\""}}},
         1);
  net.on("GET", "https://auth.test/token", {200, {}, R"({"token":"issued","expires_in":300})"});
  net.on("GET", tags, {200, {}, R"({"name":"acme/widget","tags":["1.0.0"]})"});
  RegistryEndpoint e = endpoint("https://registry.test", "robot", "secret");
  otr::testing::FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(e, auth, "", stats, net);
  BOOST_TEST(client.find_tags("acme/widget")->size() == 1u);
  BOOST_TEST(client.find_tags("acme/widget")->size() == 1u);  // the token is reused
  BOOST_REQUIRE(net.seen.size() == 4u);
  BOOST_TEST(net.seen[1].url == "https://auth.test/token?service=registry&scope=repository%3Aacme%2Fwidget%3Apull");
  BOOST_TEST(FakeTransport::authorization(net.seen[1]) == kBasicRobot);
  BOOST_TEST(FakeTransport::authorization(net.seen[2]) == "Bearer issued");
  BOOST_TEST(FakeTransport::authorization(net.seen[3]) == "Bearer issued");
}

BOOST_AUTO_TEST_CASE(the_tag_list_budget_covers_all_pages_together) {
  FakeTransport net;
  const std::string page = R"({"name":"a/b","tags":[")" + std::string(600, 'x') + R"("]})";
  net.on("GET", "http://registry.test/v2/a/b/tags/list?n=1000",
         {200, {{"Link", "</v2/a/b/tags/list?last=x&n=1000>; rel=\"next\""}}, page});
  net.on("GET", "http://registry.test/v2/a/b/tags/list?last=x", {200, {}, page});
  RegistryEndpoint e = endpoint("http://registry.test");
  e.settings.max_tag_list_bytes = 1000;  // one page fits, two do not
  otr::testing::FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(e, auth, "", stats, net);
  try {
    client.find_tags("a/b");
    BOOST_FAIL("expected a Error");
  } catch (const Error& error) {
    BOOST_TEST((error.kind() == ErrorKind::kBadResponse));
    BOOST_TEST(std::string(error.what()).find("more than 1000 bytes of tags") != std::string::npos);
  }
  BOOST_TEST(net.seen.size() == 2u);
  BOOST_TEST(net.seen[1].max_body < 1000u - 600u);
}

BOOST_AUTO_TEST_CASE(a_sha512_blob_is_verified_and_its_last_chunk_withheld_on_a_mismatch) {
  FakeTransport net;
  const std::string bad = "sha512:" + std::string(128, 'a');
  net.on("GET", "http://registry.test/v2/a/b/blobs/" + bad, {200, {{"Content-Length", "30"}}, std::string(30, 'z')});
  RegistryEndpoint e = endpoint("http://registry.test");
  otr::testing::FakeClock clock;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(e, auth, "", stats, net);
  std::string delivered;
  try {
    client.stream_blob("a/b", bad, [](const BlobInfo&) { return true; }, [&](std::string_view chunk) {
      delivered.append(chunk);
      return true;
    });
    BOOST_FAIL("expected a Error");
  } catch (const Error& error) {
    BOOST_TEST((error.kind() == ErrorKind::kBadResponse));
  }
  BOOST_TEST(delivered.size() < 30u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(resolve_url_removes_dot_segments_like_clients_do) {
  const std::string doc = "https://Reg.example:443/v1/providers/acme/widget/1.0.0/download/linux/amd64?x=1";
  BOOST_TEST(resolve_url(doc, "../../SHA256SUMS?token=t") ==
             "https://reg.example/v1/providers/acme/widget/1.0.0/SHA256SUMS?token=t");
  BOOST_TEST(resolve_url(doc, "./pkg.zip") == "https://reg.example/v1/providers/acme/widget/1.0.0/download/linux/pkg.zip");
  BOOST_TEST(resolve_url(doc, "/a/b/../c") == "https://reg.example/a/c");
  BOOST_TEST(resolve_url(doc, "../../../../../../../../x") == "https://reg.example/x");
  BOOST_TEST(resolve_url("https://h/dir/", "sub/") == "https://h/dir/sub/");
  BOOST_TEST(resolve_url("https://h", "file") == "https://h/file");
  BOOST_TEST(resolve_url(doc, "https://cdn.example/p.zip") == "https://cdn.example/p.zip");
  BOOST_TEST(resolve_url(doc, "//cdn.example/p.zip") == "https://cdn.example/p.zip");
}
