#include <boost/test/unit_test.hpp>

#include "base/json.h"
#include "terraform/documents.h"
#include "terraform/package_names.h"

using namespace otr;

namespace {

Version v(const char* text) { return *parse_version(text); }

PlatformPackage package(const char* os, const char* arch, char digit, const std::string& h1 = "") {
  return {os, arch, "sha256:" + std::string(64, digit), 10, h1};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_documents)

BOOST_AUTO_TEST_CASE(shasums_are_sorted_by_file_name_and_stable) {
  std::vector<PlatformPackage> packages = {package("windows", "amd64", 'c'), package("darwin", "arm64", 'a'),
                                           package("linux", "amd64", 'b')};
  std::string expected = std::string(64, 'a') + "  terraform-provider-widget_1.1.0_darwin_arm64.zip\n" +
                         std::string(64, 'b') + "  terraform-provider-widget_1.1.0_linux_amd64.zip\n" +
                         std::string(64, 'c') + "  terraform-provider-widget_1.1.0_windows_amd64.zip\n";
  BOOST_TEST(make_shasums("widget", v("1.1.0"), packages) == expected);
  std::reverse(packages.begin(), packages.end());
  BOOST_TEST(make_shasums("widget", v("1.1.0"), packages) == expected);
  BOOST_TEST(make_shasums("widget", v("1.1.0"), {}) == "");  // never a blank line
  BOOST_TEST(package_file_name("x", v("2.0.0+ent").to_string(), "linux", "arm64") ==
             "terraform-provider-x_2.0.0+ent_linux_arm64.zip");
}

BOOST_AUTO_TEST_CASE(discovery_lists_what_is_configured) {
  BOOST_TEST(discovery_document("/registry/", "/modules/") ==
             "{\"modules.v1\":\"/modules/\",\"providers.v1\":\"/registry/\"}\n");
  BOOST_TEST(discovery_document("/tf/registry/", "") == "{\"providers.v1\":\"/tf/registry/\"}\n");
  BOOST_TEST(discovery_document("", "/m/") == "{\"modules.v1\":\"/m/\"}\n");
}

BOOST_AUTO_TEST_CASE(provider_versions_shape) {
  ReleaseSummary a{v("1.0.0"), {{"darwin", "arm64"}, {"linux", "amd64"}}, {}};
  ReleaseSummary b{v("1.1.0"), {{"linux", "amd64"}}, {"6.0"}};
  BOOST_TEST(provider_versions_document({a, b}) ==
             "{\"versions\":[{\"version\":\"1.0.0\",\"protocols\":[\"5.0\",\"6.0\"],\"platforms\":"
             "[{\"os\":\"darwin\",\"arch\":\"arm64\"},{\"os\":\"linux\",\"arch\":\"amd64\"}]},"
             "{\"version\":\"1.1.0\",\"protocols\":[\"6.0\"],\"platforms\":[{\"os\":\"linux\",\"arch\":\"amd64\"}]}]}\n");
}

BOOST_AUTO_TEST_CASE(provider_download_shape) {
  ProviderDownload d;
  d.protocols = {"6.0"};
  d.os = "linux";
  d.arch = "amd64";
  d.filename = "terraform-provider-widget_1.1.0_linux_amd64.zip";
  d.download_url = "/registry/_packages/x/y.zip?token=t";
  d.shasums_url = "../../SHA256SUMS";
  d.shasums_signature_url = "../../SHA256SUMS.sig";
  d.shasum = std::string(64, 'a');
  d.key_id = "0123456789ABCDEF";
  d.public_key_armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n...";
  d.hashes = {"h1:x", "zh:" + d.shasum};
  JsonPtr doc = json_parse(provider_download_document(d));
  BOOST_TEST_REQUIRE(doc != nullptr);
  BOOST_TEST(json_string(doc.get(), "os").value_or("") == "linux");
  BOOST_TEST(json_string(doc.get(), "filename").value_or("") == d.filename);
  BOOST_TEST(json_string(doc.get(), "shasum").value_or("") == d.shasum);
  BOOST_TEST(json_string(doc.get(), "shasums_signature_url").value_or("") == "../../SHA256SUMS.sig");
  const cJSON* keys = json_array(json_object(doc.get(), "signing_keys"), "gpg_public_keys");
  BOOST_TEST_REQUIRE(cJSON_GetArraySize(keys) == 1);
  const cJSON* key = cJSON_GetArrayItem(keys, 0);
  BOOST_TEST(json_string(key, "key_id").value_or("") == "0123456789ABCDEF");
  BOOST_TEST(json_string(key, "trust_signature").value_or("?") == "");  // third-party keys: empty
  BOOST_TEST(cJSON_GetArraySize(json_array(doc.get(), "hashes")) == 2);
  BOOST_TEST(cJSON_GetArraySize(json_array(doc.get(), "protocols")) == 1);
  d.hashes.clear();
  BOOST_TEST(json_array(json_parse(provider_download_document(d)).get(), "hashes") == nullptr);
}

BOOST_AUTO_TEST_CASE(module_versions_shape) {
  BOOST_TEST(module_versions_document({v("1.0.0"), v("2.0.0-rc.1")}) ==
             "{\"modules\":[{\"versions\":[{\"version\":\"1.0.0\"},{\"version\":\"2.0.0-rc.1\"}]}]}\n");
}

BOOST_AUTO_TEST_SUITE_END()
