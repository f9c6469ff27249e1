// The upstream registry client: its documents, discovery, redirects, and how failures read.
#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "testing/fake_transport.h"
#include "testing/scripted_upstream.h"
#include "upstream/provider_source.h"

namespace otr {
namespace {

using testing::FakeTransport;
using testing::ScriptedAnswer;

UpstreamConfig config() {
  UpstreamConfig c;
  c.url = "https://up.example/base";
  c.hostnames = {"registry.terraform.io"};
  return c;
}

const char* kDoc = R"({"os":"linux","arch":"amd64","filename":"terraform-provider-w_1.0.0_linux_amd64.zip",
  "download_url":"https://cdn.example/w.zip","shasums_url":"../../SHA256SUMS?t=1",
  "shasums_signature_url":"/sig","shasum":"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
  "signing_keys":{"gpg_public_keys":[{"ascii_armor":"KEY"}]}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(provider_source)

BOOST_AUTO_TEST_CASE(download_documents_resolve_their_urls_against_their_own) {
  UpstreamPackage p = parse_upstream_download(kDoc, "https://up.example/v1/providers/a/w/1.0.0/download/linux/amd64",
                                              "linux", "amd64");
  BOOST_TEST(p.shasums_url == "https://up.example/v1/providers/a/w/1.0.0/SHA256SUMS?t=1");
  BOOST_TEST(p.shasums_signature_url == "https://up.example/sig");
  BOOST_TEST(p.shasum == "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  BOOST_TEST(p.signing_keys == std::vector<std::string>{"KEY"});
}

BOOST_AUTO_TEST_CASE(download_documents_that_cannot_be_verified_are_refused) {
  const std::string url = "https://up.example/d";
  BOOST_CHECK_THROW(parse_upstream_download(kDoc, url, "darwin", "arm64"), UpstreamError);  // another platform
  std::string unsigned_doc = kDoc;
  unsigned_doc.replace(unsigned_doc.find("\"KEY\""), 5, "\"\"");
  BOOST_CHECK_THROW(parse_upstream_download(unsigned_doc, url, "linux", "amd64"), UpstreamError);
  std::string short_sum = kDoc;
  short_sum.replace(short_sum.find("ABCDEF"), 6, "");
  BOOST_CHECK_THROW(parse_upstream_download(short_sum, url, "linux", "amd64"), UpstreamError);
  BOOST_CHECK_THROW(parse_upstream_download("[]", url, "linux", "amd64"), UpstreamError);
}

BOOST_AUTO_TEST_CASE(versions_skip_what_does_not_parse) {
  auto releases = parse_upstream_versions(
      R"({"versions":[{"version":"v1"},{"version":"1.0.0","protocols":["5.0"],
          "platforms":[{"os":"Linux","arch":"amd64"},{"os":"linux","arch":"amd64"},{"os":"","arch":"x"}]}]})");
  BOOST_TEST(releases.size() == 1u);
  BOOST_TEST(releases[0].platforms.size() == 1u);
  BOOST_CHECK_THROW(parse_upstream_versions("{}"), UpstreamError);
}

BOOST_AUTO_TEST_CASE(discovery_once_then_the_protocol_with_no_credentials) {
  FakeTransport t;
  t.on("GET", "https://up.example/base/.well-known/terraform.json",
       ScriptedAnswer(200, {}, R"({"providers.v1":"/v1/providers"})"), 1);
  t.on("GET", "https://up.example/v1/providers/acme/w/versions", ScriptedAnswer(200, {}, R"({"versions":[]})"));
  t.on("GET", "https://up.example/v1/providers/acme/none/versions", ScriptedAnswer(404));
  ProviderSource source(config(), t, Seconds(5), Seconds(30), Seconds(60));
  BOOST_TEST(source.releases("acme", "w")->empty());
  BOOST_TEST(!source.releases("acme", "none").has_value());
  BOOST_TEST(t.seen.size() == 3u);  // one discovery
  for (const OutgoingRequest& r : t.seen) {
    BOOST_TEST(r.total_timeout.count() == 30);
    for (const std::string& h : r.headers) BOOST_TEST(h.find("Authorization") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(failures_say_what_the_upstream_did) {
  FakeTransport t;
  t.on("GET", "https://up.example/base/.well-known/terraform.json",
       ScriptedAnswer(200, {}, R"({"providers.v1":"/v1/"})"));
  t.on("GET", "https://up.example/v1/acme/busy/versions", ScriptedAnswer(429, {{"Retry-After", "5"}}));
  t.on("GET", "https://up.example/v1/acme/loop/versions", ScriptedAnswer(302, {{"Location", "/v1/acme/loop/versions"}}));
  t.on("GET", "https://up.example/v1/acme/down/versions", ScriptedAnswer(0, {}, "", TransportError::kUnreachable));
  ProviderSource source(config(), t, Seconds(5), Seconds(30), Seconds(60));
  try {
    source.releases("acme", "busy");
    BOOST_FAIL("no error");
  } catch (const UpstreamError& e) {
    BOOST_TEST(std::string(e.what()).find("429") != std::string::npos);
  }
  BOOST_CHECK_THROW(source.releases("acme", "loop"), UpstreamError);
  try {
    source.releases("acme", "down");
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(ErrorKind::kUnreachable));
  }
}

BOOST_AUTO_TEST_CASE(packages_follow_redirects_and_stop_at_max_package_size) {
  FakeTransport t;
  t.on("GET", "https://cdn.example/a.zip", ScriptedAnswer(307, {{"Location", "https://s3.example/a.zip?X-Sig=1"}}));
  t.on("GET", "https://s3.example/a.zip", ScriptedAnswer(200, {}, std::string(100, 'z')));
  UpstreamConfig c = config();
  c.max_package_bytes = 50;
  ProviderSource small(c, t, Seconds(5), Seconds(30), Seconds(60));
  BOOST_CHECK_THROW(small.download("https://cdn.example/a.zip", "the package", [](std::int64_t) {},
                                   [](std::string_view) {}),
                    UpstreamError);
  ProviderSource source(config(), t, Seconds(5), Seconds(30), Seconds(60));
  std::string got;
  source.download("https://cdn.example/a.zip", "the package", [](std::int64_t) {},
                  [&](std::string_view chunk) { got.append(chunk); });
  BOOST_TEST(got.size() == 100u);
  BOOST_TEST(t.seen.back().stall_timeout.count() == 60);
  BOOST_TEST(t.seen.back().total_timeout.count() == 0);
}

BOOST_AUTO_TEST_CASE(a_download_document_may_not_lead_from_https_to_http) {
  const std::string https = "https://up.example/v1/providers/a/w/1.0.0/download/linux/amd64";
  for (const char* field : {"download_url", "shasums_url", "shasums_signature_url"}) {
    std::string doc = kDoc;
    const std::string key = std::string("\"") + field + "\":\"";
    const size_t at = doc.find(key) + key.size();
    doc.replace(at, doc.find('"', at) - at, "http://cdn.example/f?X-Signature=secret");
    try {
      parse_upstream_download(doc, https, "linux", "amd64");
      BOOST_FAIL(std::string(field) + ": no error");
    } catch (const UpstreamError& e) {
      const std::string what = e.what();
      BOOST_TEST(what.find("https to plain http") != std::string::npos, what);
      BOOST_TEST(what.find(field) != std::string::npos, what);
      BOOST_TEST(what.find("http://cdn.example/f") != std::string::npos, what);
      BOOST_TEST(what.find("secret") == std::string::npos, what);
    }
    // A document fetched over plain http may name plain http URLs (the operator chose http).
    BOOST_CHECK_NO_THROW(parse_upstream_download(doc, "http://up.example/d", "linux", "amd64"));
  }
}

BOOST_AUTO_TEST_CASE(a_redirect_from_https_to_http_is_refused_like_any_refusal) {
  FakeTransport t;
  t.on("GET", "https://up.example/base/.well-known/terraform.json",
       ScriptedAnswer(200, {}, R"({"providers.v1":"/v1/"})"));
  t.on("GET", "https://up.example/v1/acme/w/versions",
       ScriptedAnswer(302, {{"Location", "http://up.example/v1/acme/w/versions?token=secret"}}));
  t.on("GET", "https://cdn.example/SHA256SUMS", ScriptedAnswer(301, {{"Location", "http://cdn.example/S?sig=secret"}}));
  t.on("GET", "https://cdn.example/a.zip", ScriptedAnswer(307, {{"Location", "//s3.example/a.zip?sig=secret"}}));
  t.on("GET", "https://s3.example/a.zip", ScriptedAnswer(302, {{"Location", "http://s3.example/a.zip?sig=secret"}}));
  t.on("GET", "http://", ScriptedAnswer(200, {}, R"({"versions":[]})"));
  ProviderSource source(config(), t, Seconds(5), Seconds(30), Seconds(60));
  auto refused = [](const std::function<void()>& call) {
    try {
      call();
      BOOST_FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(ErrorKind::kUpstream), what);
      BOOST_TEST(what.find("https to plain http") != std::string::npos, what);
      BOOST_TEST(what.find("secret") == std::string::npos, what);
    }
  };
  refused([&] { source.releases("acme", "w"); });
  refused([&] { source.small_file("https://cdn.example/SHA256SUMS", 100, "SHA256SUMS"); });
  refused([&] {
    source.download("https://cdn.example/a.zip", "the package", [](std::int64_t) {}, [](std::string_view) {});
  });
  for (const OutgoingRequest& r : t.seen) BOOST_TEST(!r.url.starts_with("http://"), r.url);  // never asked
}

BOOST_AUTO_TEST_CASE(discovery_may_not_send_an_https_upstream_to_http) {
  FakeTransport t;
  t.on("GET", "https://up.example/base/.well-known/terraform.json",
       ScriptedAnswer(200, {}, R"({"providers.v1":"http://up.example/v1/"})"));
  ProviderSource source(config(), t, Seconds(5), Seconds(30), Seconds(60));
  BOOST_CHECK_THROW(source.releases("acme", "w"), UpstreamError);
  BOOST_TEST(t.seen.size() == 1u);
}

BOOST_AUTO_TEST_CASE(only_the_upstreams_own_host_may_be_on_a_private_address) {
  UpstreamConfig c;
  c.url = "https://Up.Example:8443/base";
  BOOST_TEST((upstream_address_policy(c, "https://up.example:8443/.well-known/terraform.json") == AddressPolicy::kAny));
  BOOST_TEST((upstream_address_policy(c, "http://UP.EXAMPLE/other-port") == AddressPolicy::kAny));
  BOOST_TEST((upstream_address_policy(c, "https://cdn.example/a.zip") == AddressPolicy::kPublicOnly));
  BOOST_TEST((upstream_address_policy(c, "https://up.example.evil.example/a") == AddressPolicy::kPublicOnly));
  BOOST_TEST((upstream_address_policy(c, "https://up.example@127.0.0.2/a") == AddressPolicy::kPublicOnly));
  BOOST_TEST((upstream_address_policy(c, "https://127.0.0.2\\@up.example/a") == AddressPolicy::kPublicOnly));
  BOOST_TEST((upstream_address_policy(c, "https://up.example") == AddressPolicy::kAny));
  c.url = "http://127.0.0.1:8080";
  BOOST_TEST((upstream_address_policy(c, "http://127.0.0.1:9999/files/a.zip") == AddressPolicy::kAny));
  BOOST_TEST((upstream_address_policy(c, "http://127.0.0.2:8080/files/a.zip") == AddressPolicy::kPublicOnly));
  BOOST_TEST((upstream_address_policy(c, "http://localhost:8080/files/a.zip") == AddressPolicy::kPublicOnly));
  c.url = "https://[::1]:8443";
  BOOST_TEST((upstream_address_policy(c, "https://[::1]/a") == AddressPolicy::kAny));
  BOOST_TEST((upstream_address_policy(c, "https://[::2]/a") == AddressPolicy::kPublicOnly));
  c.allow_private_addresses = true;
  BOOST_TEST((upstream_address_policy(c, "https://127.0.0.2/a") == AddressPolicy::kAny));
}

BOOST_AUTO_TEST_CASE(every_fetch_of_an_import_carries_the_address_policy) {
  testing::Upstream up;
  UpstreamConfig c = up.config();
  ProviderSource source(c, up.transport, Seconds(5), Seconds(30), Seconds(60));
  std::optional<UpstreamPackage> p = source.package("acme", "widget", *parse_version("1.0.0"), "darwin", "arm64");
  BOOST_REQUIRE(p.has_value());
  source.small_file(p->shasums_url, kMaxChecksumsFile, "SHA256SUMS");
  source.small_file(p->shasums_signature_url, kMaxChecksumsFile, "its signature");
  source.download(p->download_url, "the package", [](std::int64_t) {}, [](std::string_view) {});
  // Discovery, the download document, the checksums and the signature are on the upstream's own host;
  // the package and its redirect are not.
  BOOST_TEST(up.transport.seen.size() == 6u);
  for (const OutgoingRequest& r : up.transport.seen) {
    const bool own = r.url.starts_with(testing::kUp);
    BOOST_TEST((r.addresses == (own ? AddressPolicy::kAny : AddressPolicy::kPublicOnly)), r.url);
  }
  c.allow_private_addresses = true;
  ProviderSource allowing(c, up.transport, Seconds(5), Seconds(30), Seconds(60));
  allowing.download(p->download_url, "the package", [](std::int64_t) {}, [](std::string_view) {});
  BOOST_TEST((up.transport.seen.back().addresses == AddressPolicy::kAny));
}

BOOST_AUTO_TEST_CASE(a_refused_address_is_the_upstreams_fault_naming_the_url_not_the_address) {
  FakeTransport t;
  t.on("GET", "https://cdn.example/a.zip", ScriptedAnswer(0, {}, "", TransportError::kRefused));
  t.on("GET", "https://cdn.example/SHA256SUMS", ScriptedAnswer(0, {}, "", TransportError::kRefused));
  ProviderSource source(config(), t, Seconds(5), Seconds(30), Seconds(60));
  for (int i = 0; i < 2; ++i) {
    try {
      if (i == 0)
        source.small_file("https://cdn.example/SHA256SUMS?sig=secret", 100, "SHA256SUMS");
      else
        source.download("https://cdn.example/a.zip?sig=secret", "the package", [](std::int64_t) {},
                        [](std::string_view) {});
      BOOST_FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(ErrorKind::kUpstream), what);
      BOOST_TEST(what.find("https://cdn.example/") != std::string::npos, what);
      BOOST_TEST(what.find("not public") != std::string::npos, what);
      BOOST_TEST(what.find("allow_private_addresses") != std::string::npos, what);
      BOOST_TEST(what.find("secret") == std::string::npos, what);
    }
  }
}

BOOST_AUTO_TEST_CASE(platforms_outside_the_platform_grammar_are_left_out_of_the_release) {
  // The scripted upstream lists, besides its three platforms, some whose os or arch would change a
  // URL, a document or an OCI platform if taken as they are.
  testing::Upstream up;
  ProviderSource source(up.config(), up.transport, Seconds(5), Seconds(30), Seconds(60));
  std::optional<std::vector<UpstreamRelease>> releases = source.releases("acme", "widget");
  BOOST_REQUIRE(releases.has_value());
  BOOST_REQUIRE(releases->size() == 2u);
  const UpstreamRelease& r = releases->front();
  BOOST_TEST(r.version.to_string() == "1.0.0");
  std::vector<std::pair<std::string, std::string>> expected = {
      {"darwin", "arm64"}, {"linux", "amd64"}, {"windows", "amd64"}};
  BOOST_TEST((r.platforms == expected));
  BOOST_TEST(r.platforms_left_out == testing::Upstream::kMalformedPlatforms);
  BOOST_TEST(releases->back().platforms.empty());  // 0.9.0 lists malformed ones only
  BOOST_TEST(releases->back().platforms_left_out > 0u);
  auto parsed = parse_upstream_versions(
      R"({"versions":[{"version":"1.0.0","platforms":[{"os":"LINUX","arch":"AMD64"},{"os":"linux","arch":"amd_64"},
          {"os":"linux","arch":"x%2f"},{"os":"linux","arch":"arm64 "},{"os":"linux","arch":1},
          {"os":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","arch":"amd64"}]}]})");
  BOOST_TEST(parsed.at(0).platforms.size() == 1u);  // linux_amd64, lower-cased
  BOOST_TEST(parsed.at(0).platforms_left_out == 5u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
