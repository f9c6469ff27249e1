// The catalogue's HTML pages (server/catalogue.h): from an OCI layout the real push code wrote,
// and from a scripted registry (a catalog with hostile names, a registry without one).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "oci/layout_writer.h"
#include "publish/module_publish.h"
#include "publish/push_report.h"
#include "server/application.h"
#include "terraform/module_zip.h"
#include "testing/app_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/published_layout.h"

using namespace otr;
using otr::testing::call;

namespace {

using App = otr::testing::LayoutApp;

bool has(const std::string& body, const std::string& text) { return body.find(text) != std::string::npos; }

// Publishes acme/net/aws 2.0.0 with a README.md into the layout `directory`.
void publish_module_with_readme(const std::string& directory, const std::string& readme) {
  namespace fs = std::filesystem;
  fs::path tree = fs::path(directory + "-module");
  fs::create_directories(tree);
  std::ofstream(tree / "README.md") << readme;
  std::ofstream(tree / "main.tf") << "variable \"x\" {}\n";
  std::string zip = directory + "-module.zip";
  zip_module_directory(tree.string(), zip);
  std::ostringstream quiet;
  LineReporter reporter(quiet);
  OciLayoutTarget target(directory);
  PublishSettings settings;
  settings.created = "2024-02-02T00:00:00Z";
  settings.source = "https://git.example.com/net?a=1&b=<2>";
  const ModuleAddress net = parse_module_address("acme/net/aws");
  publish_module(target, RepositoryNaming("terraform-modules").module(net), net, "2.0.0", zip, "net-aws-2.0.0.zip",
                 settings, reporter);
  fs::remove_all(tree);
  fs::remove(zip);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catalogue)

BOOST_AUTO_TEST_CASE(the_mirror_front_page_lists_providers_under_a_prefix_mount) {
  App a;
  auto r = call(a.app, "/mirror/", "GET", {}, "/tf");
  BOOST_TEST_REQUIRE(r.status == 200);
  BOOST_TEST(r.headers.get("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(r.headers.get("Cache-Control") == "public, max-age=30");
  BOOST_TEST(has(r.body, "url = \"https://tf.example.com/tf/mirror/\""));
  BOOST_TEST(has(r.body, "<a href=\"/tf/mirror/_catalog/registry.terraform.io/acme/widget/\">"
                         "registry.terraform.io/acme/widget</a>"), r.body);
  BOOST_TEST(!has(r.body, "<script"));
  auto again = call(a.app, "/mirror/", "GET", {{"If-None-Match", r.headers.get("ETag")}}, "/tf");
  BOOST_TEST(again.status == 304);
  // The module registry lists modules, not the providers' repositories.
  auto modules = call(a.app, "/modules/");
  BOOST_TEST(has(modules.body, "<a href=\"/modules/_catalog/acme/net/aws/\">acme/net/aws</a>"), modules.body);
  BOOST_TEST(!has(modules.body, "widget"));
}

BOOST_AUTO_TEST_CASE(a_provider_page_shows_versions_platforms_hashes_and_snippets) {
  App a;
  auto r = call(a.app, "/mirror/_catalog/registry.terraform.io/acme/widget/", "GET", {}, "/tf");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(r.body.find("<h3>1.1.0</h3>") < r.body.find("<h3>1.0.0</h3>"));
  BOOST_TEST(has(r.body, "<td class=\"platform\">linux_amd64</td>"));
  BOOST_TEST(has(r.body, "<td class=\"platform\">darwin_arm64</td>"));
  BOOST_TEST(has(r.body, a.layout.h1()));
  BOOST_TEST(has(r.body, "zh:" + a.layout.zip_digest().substr(7)));
  BOOST_TEST(has(r.body, "<time class=\"created\">2024-01-01T00:00:00Z</time>"));
  BOOST_TEST(has(r.body, "source  = \"registry.terraform.io/acme/widget\"\n      version = \"1.1.0\""));
  BOOST_TEST(has(r.body, "include = [\"registry.terraform.io/acme/widget\"]"));
  BOOST_TEST(has(r.body, "<a href=\"/tf/mirror/\">mirror</a>"));

  auto registry = call(a.app, "/registry/_catalog/acme/widget/");
  BOOST_TEST_REQUIRE(registry.status == 200, registry.body);
  BOOST_TEST(has(registry.body, "source  = \"tf.example.com/acme/widget\""));
  BOOST_TEST(has(registry.body, "host \"tf.example.com\" {\n  services = {\n    \"providers.v1\" = "
                                "\"https://tf.example.com/registry/\""));
  auto index = call(a.app, "/registry/");
  BOOST_TEST(has(index.body, "<a href=\"/registry/_catalog/acme/widget/\">acme/widget</a>"), index.body);

  auto missing = call(a.app, "/mirror/_catalog/registry.terraform.io/acme/nothing/");
  BOOST_TEST(missing.status == 404);
  auto bad = call(a.app, "/mirror/_catalog/registry.terraform.io/acme/");
  BOOST_TEST(bad.status == 404);
  auto no_slash = call(a.app, "/mirror/_catalog/registry.terraform.io/acme/widget", "GET", {}, "/tf");
  BOOST_TEST(no_slash.status == 301);
  BOOST_TEST(no_slash.headers.get("Location") == "/tf/mirror/_catalog/registry.terraform.io/acme/widget/");
}

BOOST_AUTO_TEST_CASE(a_module_page_shows_its_readme_escaped) {
  App a;
  publish_module_with_readme(a.layout.directory(), "# Net\n<script>alert('x')</script> & more\n");
  auto r = call(a.app, "/modules/_catalog/acme/net/aws/");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(r.body.find("<h3>2.0.0</h3>") < r.body.find("<h3>1.0.0</h3>"));
  BOOST_TEST(has(r.body, "<pre class=\"readme\"># Net\n&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more\n</pre>"),
             r.body);
  BOOST_TEST(!has(r.body, "<script>"));
  BOOST_TEST(has(r.body, "module \"net\" {\n  source  = \"tf.example.com/acme/net/aws\"\n  version = \"2.0.0\""));
  BOOST_TEST(has(r.body, "href=\"https://git.example.com/net?a=1&amp;b=&lt;2&gt;\""));
  BOOST_TEST(has(r.body, "<time class=\"created\">2024-02-02T00:00:00Z</time>"));
  BOOST_TEST(has(r.body, "No README.md in this package."));  // 1.0.0's zip has none
}

BOOST_AUTO_TEST_CASE(a_registry_catalog_is_paged_filtered_and_escaped) {
  otr::testing::FakeClock clock;
  otr::testing::FakeTransport net;
  net.on("GET", "https://registry.test/v2/_catalog?n=100&last=p/",
         {200, {{"Link", "</v2/_catalog?n=100&last=p/registry.terraform.io/acme/widget>; rel=\"next\""}},
          "{\"repositories\":[\"p/<b>x</b>/a/b\",\"p/registry.terraform.io/acme/widget\"]}"},
         1);
  net.on("GET", "https://registry.test/v2/_catalog?n=100&last=p/registry.terraform.io/acme/widget",
         {200, {}, "{\"repositories\":[\"p/registry.terraform.io/acme/zeta\",\"q/other\"]}"}, 1);
  Config config = parse_config(
      "provider_mirror \"remote\" {\n  origin_url = \"https://registry.test\"\n  name_prefix = \"p\"\n}\n", "t.hcl");
  RegistryApp app(config, clock, net);
  auto r = call(app, "/remote/");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(has(r.body, ">registry.terraform.io/acme/widget</a>"));
  BOOST_TEST(has(r.body, ">registry.terraform.io/acme/zeta</a>"));
  BOOST_TEST(!has(r.body, "<b>x"));
  BOOST_TEST(!has(r.body, "q/other"));
  // Cached for the tag TTL: no second round of registry calls.
  auto again = call(app, "/remote/");
  BOOST_TEST(again.body == r.body);
}

BOOST_AUTO_TEST_CASE(without_a_catalog_the_front_page_says_so_and_provider_pages_still_work) {
  otr::testing::FakeClock clock;
  otr::testing::FakeTransport net;
  net.on("GET", "https://registry.test/v2/_catalog", {404, {}, "404 page not found"});
  Config config = parse_config("provider_mirror \"remote\" {\n  origin_url = \"https://registry.test\"\n}\n", "t.hcl");
  RegistryApp app(config, clock, net);
  auto r = call(app, "/remote/", "GET", {}, "/tf");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(has(r.body, "class=\"no-catalog\""));
  BOOST_TEST(has(r.body, "/tf/remote/_catalog/HOSTNAME/NAMESPACE/TYPE/"));
  net.on("GET", "https://registry.test/v2/registry.terraform.io/acme/widget/tags/list",
         {200, {}, "{\"name\":\"x\",\"tags\":[]}"});
  auto p = call(app, "/remote/_catalog/registry.terraform.io/acme/widget/");
  BOOST_TEST(p.status == 404);  // the page works: it says what is not there
  BOOST_TEST(has(p.body, "No provider registry.terraform.io/acme/widget is stored here."));
}

BOOST_AUTO_TEST_SUITE_END()
