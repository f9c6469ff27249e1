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

namespace {

ProviderDownload download_for(const char* os, const char* arch, char digit) {
  ProviderDownload d;
  d.os = os;
  d.arch = arch;
  d.filename = std::string("terraform-provider-widget_1.1.0_") + os + "_" + arch + ".zip";
  d.shasum = std::string(64, digit);
  d.hashes = {"zh:" + d.shasum};
  return d;
}

const std::string kH1 = "h1:" + std::string(43, 'A') + "=";

}  // namespace

BOOST_AUTO_TEST_CASE(provider_download_packages_name_every_platform) {
  ProviderDownload d = download_for("linux", "amd64", 'b');
  d.packages = {package("darwin", "arm64", 'a', kH1), package("linux", "amd64", 'b', kH1),
                package("windows", "amd64", 'c')};
  d.packages[0].size = 3000000000;  // beyond 32 bits
  d.packages[2].size = -1;          // unknown: no package_size
  JsonPtr doc = json_parse(provider_download_document(d));
  BOOST_TEST_REQUIRE(doc != nullptr);
  const cJSON* packages = json_object(doc.get(), "packages");
  BOOST_TEST_REQUIRE(packages != nullptr);
  BOOST_TEST(json_print(packages) ==
             "{\"darwin_arm64\":{\"hashes\":[\"zh:" + std::string(64, 'a') + "\",\"" + kH1 +
                 "\"],\"package_size\":3000000000},"
                 "\"linux_amd64\":{\"hashes\":[\"zh:" + std::string(64, 'b') + "\",\"" + kH1 +
                 "\"],\"package_size\":10},"
                 "\"windows_amd64\":{\"hashes\":[\"zh:" + std::string(64, 'c') + "\"]}}");
  // The zh: of the requested platform is the document's shasum; the old field stays.
  BOOST_TEST(cJSON_GetArraySize(json_array(doc.get(), "hashes")) == 1);
  BOOST_TEST(json_string(doc.get(), "shasum").value_or("") == std::string(64, 'b'));
}

BOOST_AUTO_TEST_CASE(provider_download_packages_left_out_when_they_would_not_verify) {
  const auto packages_of = [](const ProviderDownload& d) {
    return json_object(json_parse(provider_download_document(d)).get(), "packages") != nullptr;
  };
  ProviderDownload d = download_for("linux", "amd64", 'b');
  BOOST_TEST(!packages_of(d));  // none given
  d.packages = {package("darwin", "arm64", 'a'), package("linux", "amd64", 'b')};
  BOOST_TEST(packages_of(d));
  d.packages[1].size = -1;  // OpenTofu refuses its own platform without package_size
  BOOST_TEST(!packages_of(d));
  d.packages[1].size = 10;
  d.packages[1].digest = "sha256:" + std::string(64, 'e');  // not the shasum served
  BOOST_TEST(!packages_of(d));
  d.packages.pop_back();  // the requested platform missing
  BOOST_TEST(!packages_of(d));
  // A platform stored under another digest algorithm has no zh:; with no h1: either it is left out.
  d.packages = {package("darwin", "arm64", 'a'), package("linux", "amd64", 'b')};
  d.packages[0].digest = "sha512:" + std::string(128, 'a');
  JsonPtr doc = json_parse(provider_download_document(d));
  const cJSON* packages = json_object(doc.get(), "packages");
  BOOST_TEST_REQUIRE(packages != nullptr);
  BOOST_TEST(json_object(packages, "darwin_arm64") == nullptr);
  d.packages[0].h1 = kH1;
  doc = json_parse(provider_download_document(d));
  packages = json_object(doc.get(), "packages");
  BOOST_TEST_REQUIRE(packages != nullptr);
  const cJSON* darwin = json_object(packages, "darwin_arm64");
  BOOST_TEST_REQUIRE(darwin != nullptr);
  BOOST_TEST(json_print(json_array(darwin, "hashes")) == "[\"" + kH1 + "\"]");
}

BOOST_AUTO_TEST_CASE(module_versions_shape) {
  BOOST_TEST(module_versions_document({v("1.0.0"), v("2.0.0-rc.1")}) ==
             "{\"modules\":[{\"versions\":[{\"version\":\"1.0.0\"},{\"version\":\"2.0.0-rc.1\"}]}]}\n");
}

BOOST_AUTO_TEST_SUITE_END()
