// The three protocols' documents and errors, served from an OCI layout the real push code wrote.
#include <boost/test/unit_test.hpp>

#include "base/json.h"
#include "base/sha256.h"
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

JsonPtr json_of(const std::string& body) {
  JsonPtr doc = json_parse(body);
  BOOST_REQUIRE_MESSAGE(doc != nullptr, "not JSON: " + body);
  return doc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocols)

BOOST_AUTO_TEST_CASE(mirror_index_lists_versions_and_answers_conditional_requests) {
  App a;
  auto r = call(a.app, "/mirror/registry.terraform.io/acme/widget/index.json");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "{\"versions\":{\"1.0.0\":{},\"1.1.0\":{}}}\n");
  BOOST_TEST(r.headers.get("Cache-Control") == "public, max-age=30");
  auto again = call(a.app, "/mirror/Registry.Terraform.IO/Acme/Widget/index.json", "GET",
                    {{"If-None-Match", r.headers.get("ETag")}});
  BOOST_TEST(again.status == 304);
  auto privately = call(a.app, "/mirror/registry.terraform.io/acme/widget/index.json", "GET",
                        {{"Authorization", "Bearer someone"}});
  BOOST_TEST(privately.headers.get("Cache-Control") == "private, max-age=30");
}

BOOST_AUTO_TEST_CASE(mirror_version_document_has_sealed_urls_and_both_hashes) {
  App a;
  auto r = call(a.app, "/mirror/registry.terraform.io/acme/widget/1.0.0.json");
  BOOST_TEST_REQUIRE(r.status == 200);
  JsonPtr doc = json_of(r.body);
  const cJSON* linux_amd64 = json_object(json_object(doc.get(), "archives"), "linux_amd64");
  BOOST_TEST_REQUIRE(linux_amd64 != nullptr);
  std::string url = json_string(linux_amd64, "url").value_or("");
  BOOST_TEST(url.starts_with("/mirror/_packages/" + a.layout.zip_digest() +
                             "/terraform-provider-widget_1.0.0_linux_amd64.zip?token="), url);
  const cJSON* hashes = json_array(linux_amd64, "hashes");
  BOOST_TEST(cJSON_GetArraySize(hashes) == 2);
  BOOST_TEST(cJSON_GetArrayItem(hashes, 0)->valuestring == a.layout.h1());
  BOOST_TEST(cJSON_GetArrayItem(hashes, 1)->valuestring == "zh:" + a.layout.zip_digest().substr(7));
  BOOST_TEST(json_object(json_object(doc.get(), "archives"), "darwin_arm64") != nullptr);
}

BOOST_AUTO_TEST_CASE(mirror_errors) {
  App a;
  auto unknown = call(a.app, "/mirror/registry.terraform.io/acme/nothing/index.json");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(first_error(unknown) == "no such provider or version in this mirror");
  BOOST_TEST(call(a.app, "/mirror/registry.terraform.io/acme/widget/9.9.9.json").status == 404);
  BOOST_TEST(first_error(call(a.app, "/mirror/registry.terraform.io/acme/widget/latest.json")) ==
             "\"latest\" is not a version");
  BOOST_TEST(first_error(call(a.app, "/mirror/not_a_host/acme/widget/index.json")).find("is not a provider "
                                                                                            "address") != std::string::npos);
  BOOST_TEST(call(a.app, "/mirror/registry.terraform.io/acme/widget/index.json/").status == 404);
  BOOST_TEST(call(a.app, "/mirror/registry.terraform.io/acme/widget").status == 404);
}

BOOST_AUTO_TEST_CASE(registry_versions_and_download_documents) {
  App a;
  auto versions = call(a.app, "/registry/acme/widget/versions");
  BOOST_TEST_REQUIRE(versions.status == 200);
  BOOST_TEST(versions.body ==
             "{\"versions\":[{\"version\":\"1.0.0\",\"protocols\":[\"5.0\",\"6.0\"],\"platforms\":[{\"os\":\"darwin\","
             "\"arch\":\"arm64\"},{\"os\":\"linux\",\"arch\":\"amd64\"}]},{\"version\":\"1.1.0\",\"protocols\":[\"5.0\","
             "\"6.0\"],\"platforms\":[{\"os\":\"darwin\",\"arch\":\"arm64\"},{\"os\":\"linux\",\"arch\":\"amd64\"}]}]}\n");
  auto download = call(a.app, "/registry/acme/widget/1.1.0/download/linux/amd64");
  BOOST_TEST_REQUIRE(download.status == 200);
  JsonPtr doc = json_of(download.body);
  BOOST_TEST(json_string(doc.get(), "filename").value_or("") == "terraform-provider-widget_1.1.0_linux_amd64.zip");
  BOOST_TEST(json_string(doc.get(), "shasum").value_or("") == a.layout.zip_digest().substr(7));
  BOOST_TEST(json_string(doc.get(), "shasums_url").value_or("") == "../../SHA256SUMS");
  BOOST_TEST(json_string(doc.get(), "download_url").value_or("").starts_with("/registry/_packages/"));
  const cJSON* key = cJSON_GetArrayItem(json_array(json_object(doc.get(), "signing_keys"), "gpg_public_keys"), 0);
  BOOST_TEST(json_string(key, "key_id").value_or("").size() == 16u);
  BOOST_TEST(json_string(key, "ascii_armor").value_or("").starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
  BOOST_TEST(call(a.app, "/registry/acme/widget/1.1.0/download/windows/amd64").status == 404);
  BOOST_TEST(call(a.app, "/registry/acme/nothing/versions").status == 404);
  BOOST_TEST(call(a.app, "/registry/acme/widget/2.0.0/download/linux/amd64").status == 404);
}

BOOST_AUTO_TEST_CASE(registry_download_document_carries_every_platforms_package_for_opentofu) {
  App a;
  auto download = call(a.app, "/registry/acme/widget/1.1.0/download/linux/amd64");
  BOOST_TEST_REQUIRE(download.status == 200);
  JsonPtr doc = json_of(download.body);
  const std::string zh = "zh:" + a.layout.zip_digest().substr(7);
  // Terraform's field as before: this platform's hashes.
  BOOST_TEST(json_print(json_array(doc.get(), "hashes")) == "[\"" + a.layout.h1() + "\",\"" + zh + "\"]");
  const cJSON* packages = json_object(doc.get(), "packages");
  BOOST_TEST_REQUIRE(packages != nullptr);
  BOOST_TEST(cJSON_GetArraySize(packages) == 2);
  for (const char* platform : {"darwin_arm64", "linux_amd64"}) {
    const cJSON* entry = json_object(packages, platform);
    BOOST_TEST_REQUIRE(entry != nullptr, platform);
    BOOST_TEST(json_print(json_array(entry, "hashes")) == "[\"" + zh + "\",\"" + a.layout.h1() + "\"]");
    BOOST_TEST(json_count(entry, "package_size").value_or(-1) ==
               static_cast<std::int64_t>(a.layout.zip_bytes().size()));
  }
  // The same list from every platform's document.
  JsonPtr other = json_of(call(a.app, "/registry/acme/widget/1.1.0/download/darwin/arm64").body);
  BOOST_TEST(json_print(json_object(other.get(), "packages")) == json_print(packages));
}

BOOST_AUTO_TEST_CASE(registry_checksums_are_stable_and_signed) {
  App a;
  auto sums = call(a.app, "/registry/acme/widget/1.0.0/SHA256SUMS");
  BOOST_TEST_REQUIRE(sums.status == 200);
  const std::string hex = a.layout.zip_digest().substr(7);
  BOOST_TEST(sums.body == hex + "  terraform-provider-widget_1.0.0_darwin_arm64.zip\n" + hex +
                              "  terraform-provider-widget_1.0.0_linux_amd64.zip\n");
  BOOST_TEST(sums.headers.get("ETag") == "\"" + sha256_hex(sums.body) + "\"");
  auto sig = call(a.app, "/registry/acme/widget/1.0.0/SHA256SUMS.sig");
  BOOST_TEST(sig.status == 200);
  BOOST_TEST(sig.headers.get("Content-Type") == "application/octet-stream");
  BOOST_TEST(!sig.body.empty());
}

BOOST_AUTO_TEST_CASE(module_versions_and_download_location) {
  App a;
  auto versions = call(a.app, "/modules/acme/net/aws/versions");
  BOOST_TEST(versions.status == 200);
  BOOST_TEST(versions.body == "{\"modules\":[{\"versions\":[{\"version\":\"1.0.0\"}]}]}\n");
  auto download = call(a.app, "/modules/acme/net/aws/1.0.0/download");
  BOOST_TEST(download.status == 204);
  BOOST_TEST(download.headers.get("X-Terraform-Get").starts_with("/modules/_packages/"));
  BOOST_TEST(download.headers.get("X-Terraform-Get").find("/acme-net-aws-1.0.0.zip?token=") != std::string::npos);
  BOOST_TEST(download.headers.get("Cache-Control") == "no-store");
  BOOST_TEST(first_error(call(a.app, "/modules/acme/net/aws/2.0.0/download")) ==
             "no such module or version in this registry");
  BOOST_TEST(call(a.app, "/modules/acme/net/aws-x/versions").status == 404);
  BOOST_TEST(call(a.app, "/modules/acme/net/aws").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
