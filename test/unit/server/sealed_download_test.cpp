// Proxied downloads through sealed URLs: the bytes, HEAD, expiry (by the clock), foreign services,
// tampering, tokens of the other purpose.
#include <boost/test/unit_test.hpp>

#include "base/json.h"
#include "server/application.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/published_layout.h"

using namespace otr;
using otr::testing::call;
using otr::testing::first_error;

namespace {

struct App : otr::testing::LayoutApp {
  // The sealed URL the mirror hands out for linux_amd64 of 1.0.0.
  std::string package_url(const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    auto doc = call(app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json", "GET", headers);
    BOOST_REQUIRE(doc.status == 200);
    JsonPtr json = json_parse(doc.body);
    return json_string(json_object(json_object(json.get(), "archives"), "linux_amd64"), "url").value_or("");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sealed_download)

BOOST_AUTO_TEST_CASE(the_sealed_url_streams_the_package) {
  App a;
  auto r = call(a.app, a.package_url());
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == a.layout.zip_bytes());
  BOOST_TEST(r.headers.get("Content-Length") == std::to_string(a.layout.zip_bytes().size()));
  BOOST_TEST(r.headers.get("Content-Type") == "application/zip");
  BOOST_TEST(r.headers.get("ETag") == "\"" + a.layout.zip_digest() + "\"");
}

BOOST_AUTO_TEST_CASE(a_range_is_answered_with_its_part_of_the_checked_package) {
  App a;
  const std::string url = a.package_url(), zip = a.layout.zip_bytes();
  const auto size = static_cast<std::int64_t>(zip.size());
  auto part = call(a.app, url, "GET", {{"Range", "bytes=10-99"}});
  BOOST_TEST(part.status == 206);
  BOOST_TEST(part.body == zip.substr(10, 90));
  BOOST_TEST(part.headers.get("Content-Range") == "bytes 10-99/" + std::to_string(size));
  BOOST_TEST(part.headers.get("Content-Length") == "90");
  BOOST_TEST(part.headers.get("Accept-Ranges") == "bytes");
  auto rest = call(a.app, url, "GET", {{"Range", "bytes=100-"}, {"If-Range", "\"" + a.layout.zip_digest() + "\""}});
  BOOST_TEST(rest.status == 206);
  BOOST_TEST(rest.body == zip.substr(100));
  auto head = call(a.app, url, "HEAD", {{"Range", "bytes=-5"}});
  BOOST_TEST(head.status == 206);
  BOOST_TEST(head.headers.get("Content-Length") == "5");
  BOOST_TEST(head.body.empty());
  // Another body's validator, several ranges: the whole package.
  auto other = call(a.app, url, "GET", {{"Range", "bytes=10-99"}, {"If-Range", "\"sha256:other\""}});
  BOOST_TEST(other.status == 200);
  BOOST_TEST(other.body == zip);
  BOOST_TEST(call(a.app, url, "GET", {{"Range", "bytes=0-1,5-6"}}).body == zip);
  auto beyond = call(a.app, url, "GET", {{"Range", "bytes=" + std::to_string(size) + "-"}});
  BOOST_TEST(beyond.status == 416);
  BOOST_TEST(beyond.headers.get("Content-Range") == "bytes */" + std::to_string(size));
}

BOOST_AUTO_TEST_CASE(head_gives_the_size_without_the_bytes) {
  App a;
  auto r = call(a.app, a.package_url(), "HEAD");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.headers.get("Content-Length") == std::to_string(a.layout.zip_bytes().size()));
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(a_url_expires_with_the_clock) {
  App a;
  std::string url = a.package_url();
  a.clock.advance(Seconds(3600));  // package_url_ttl: still inside the rounded expiry
  BOOST_TEST(call(a.app, url).status == 200);
  a.clock.advance(Seconds(3600));
  auto expired = call(a.app, url);
  BOOST_TEST(expired.status == 403);
  BOOST_TEST(first_error(expired) == "this download link has expired; ask the registry again");
}

BOOST_AUTO_TEST_CASE(a_url_of_one_service_does_not_open_another) {
  App a;
  std::string url = a.package_url();
  std::string foreign = "/registry" + url.substr(std::string("/mirror").size());
  auto r = call(a.app, foreign);
  BOOST_TEST(r.status == 403);
  BOOST_TEST(first_error(r) == "this download link is not valid");
  // Another digest under the same token.
  std::string other = url;
  other.replace(other.find("sha256:") + 7, 4, "0000");
  BOOST_TEST(call(a.app, other).status == 403);
}

BOOST_AUTO_TEST_CASE(a_tampered_or_missing_token_is_refused) {
  App a;
  std::string url = a.package_url();
  std::string tampered = url;
  char& c = tampered[tampered.size() - 3];
  c = c == 'A' ? 'B' : 'A';
  BOOST_TEST(call(a.app, tampered).status == 403);
  BOOST_TEST(call(a.app, url.substr(0, url.find('?'))).status == 403);
  BOOST_TEST(call(a.app, url.substr(0, url.find('?')) + "?token=").status == 403);
}

BOOST_AUTO_TEST_CASE(a_checksums_token_is_not_a_package_token) {
  App a;
  auto doc = call(a.app, "/registry/acme/widget/1.0.0/download/linux/amd64", "GET", {{"Authorization", "Bearer c"}});
  JsonPtr json = json_parse(doc.body);
  std::string sums_url = json_string(json.get(), "shasums_url").value_or("");
  BOOST_TEST_REQUIRE(sums_url.find("?token=") != std::string::npos);
  std::string token = sums_url.substr(sums_url.find("?token=") + 7);
  // Under the very digest it seals (the release's index): only its purpose keeps it from opening it.
  auto r = call(a.app, "/registry/_packages/" + a.layout.release_digest("1.0.0") + "/x.zip?token=" + token);
  BOOST_TEST(r.status == 403);
  // It does open the checksums, with the sealed caller's Authorization.
  BOOST_TEST(call(a.app, "/registry/acme/widget/1.0.0/SHA256SUMS?token=" + token).status == 200);
  auto other_release = call(a.app, "/registry/acme/widget/1.1.0/SHA256SUMS?token=" + token);
  BOOST_TEST(other_release.status == 403);
}

BOOST_AUTO_TEST_CASE(a_service_that_does_not_proxy_has_no_packages) {
  otr::testing::FakeClock clock;
  otr::testing::FakeTransport net;
  Config config = parse_config("provider_mirror \"direct\" {\n  origin_url = \"https://registry.test\"\n}\n", "t.hcl");
  RegistryApp app(config, clock, net);
  auto r = call(app, "/direct/_packages/sha256:" + std::string(64, 'a') + "/x.zip?token=abc");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(first_error(r) == "this service does not proxy package downloads");
  BOOST_TEST(net.seen.empty());
}

BOOST_AUTO_TEST_SUITE_END()
