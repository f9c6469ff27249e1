#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "terraform/release.h"

using namespace otr;

namespace {

const std::string kZipA = "sha256:" + std::string(64, 'a');
const std::string kZipB = "sha256:" + std::string(64, 'b');
const std::string kManA = "sha256:" + std::string(64, '1');
const std::string kManB = "sha256:" + std::string(64, '2');
const std::string kH1 = "h1:" + std::string(43, 'Q') + "=";

const std::string kIndex = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "artifactType": "application/vnd.opentofu.provider",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/vnd.opentofu.provider-target",
     "digest": ")" + kManA + R"(", "size": 500, "platform": {"os": "linux", "architecture": "amd64"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/vnd.example.sbom",
     "digest": ")" + kManB + R"(", "size": 100},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/vnd.opentofu.provider-target",
     "digest": ")" + kManB + R"(", "size": 500, "platform": {"os": "darwin", "architecture": "arm64"}}
  ]})";

std::string platform_manifest(const std::string& layers, const std::string& annotations = "") {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "artifactType":"application/vnd.opentofu.provider-target",
    "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},
    "layers":[)" + layers + "]" + (annotations.empty() ? "" : ",\"annotations\":" + annotations) + "}";
}

std::string zip_layer(const std::string& digest, const std::string& annotations = "") {
  return R"({"mediaType":"archive/zip","digest":")" + digest + R"(","size":1234)" +
         (annotations.empty() ? "" : ",\"annotations\":" + annotations) + "}";
}

bool fails_as_bad_response(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind() == ErrorKind::kBadResponse;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(provider_release)

BOOST_AUTO_TEST_CASE(a_size_no_integer_can_hold_is_unknown_not_undefined_behaviour) {
  PlatformManifestRef ref{"linux", "amd64", kManA};
  for (const char* size : {"1e999", "-1e999", "-5", "1.5", "1e300"}) {
    std::string layer = R"({"mediaType":"archive/zip","digest":")" + kZipA + R"(","size":)" + size + "}";
    BOOST_TEST(parse_platform_manifest(platform_manifest(layer), ref).size == -1, size);
  }
  std::string exact = R"({"mediaType":"archive/zip","digest":")" + kZipA + R"(","size":9007199254740992})";
  BOOST_TEST(parse_platform_manifest(platform_manifest(exact), ref).size == 9007199254740992LL);
}

BOOST_AUTO_TEST_CASE(opentofu_index_lists_platform_manifests) {
  ReleaseManifest r = parse_release_manifest(kIndex, "");
  BOOST_TEST((r.layout == ReleaseManifest::Layout::kOpenTofu));
  BOOST_TEST_REQUIRE(r.platform_manifests.size() == 2u);  // the SBOM descriptor is skipped
  BOOST_TEST(r.platform_manifests[0].os == "linux");
  BOOST_TEST(r.platform_manifests[0].arch == "amd64");
  BOOST_TEST(r.platform_manifests[0].digest == kManA);
  BOOST_TEST(r.platform_manifests[1].os == "darwin");
  BOOST_TEST(r.packages.empty());
}

BOOST_AUTO_TEST_CASE(platform_manifest_yields_package_with_h1) {
  PlatformManifestRef ref{"linux", "amd64", kManA};
  auto from_layer = parse_platform_manifest(
      platform_manifest(zip_layer(kZipA, R"({"io.terraform.provider.package.h1":")" + kH1 + R"("})")), ref);
  BOOST_TEST(from_layer.digest == kZipA);
  BOOST_TEST(from_layer.size == 1234);
  BOOST_TEST(from_layer.h1 == kH1);
  BOOST_TEST(from_layer.os == "linux");
  auto from_manifest = parse_platform_manifest(
      platform_manifest(zip_layer(kZipA), R"({"io.terraform.provider.package.h1":")" + kH1 + R"("})"), ref);
  BOOST_TEST(from_manifest.h1 == kH1);
  auto without = parse_platform_manifest(platform_manifest(zip_layer(kZipA)), ref);
  BOOST_TEST(without.h1.empty());
  auto malformed_h1 = parse_platform_manifest(
      platform_manifest(zip_layer(kZipA, R"({"io.terraform.provider.package.h1":"h1:not-base64"})")), ref);
  BOOST_TEST(malformed_h1.h1.empty());
}

BOOST_AUTO_TEST_CASE(legacy_manifest_expands_target_platforms) {
  std::string legacy = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.hashicorp.terraform-provider.config.v1+json","digest":")" + kManA + R"(","size":2},
    "layers":[
      {"mediaType":"application/vnd.hashicorp.terraform.provider-package+zip","digest":")" + kZipA + R"(","size":10,
       "annotations":{"io.terraform.target-platforms":"linux_amd64, darwin_amd64"}},
      {"mediaType":"application/vnd.hashicorp.terraform.provider-package+zip","digest":")" + kZipB + R"(","size":20,
       "annotations":{"io.terraform.target-platforms":"windows_amd64,linux_amd64"}},
      {"mediaType":"application/vnd.hashicorp.terraform.provider-package+zip","digest":")" + kZipB + R"(","size":20},
      {"mediaType":"text/plain","digest":")" + kZipB + R"(","size":20,
       "annotations":{"io.terraform.target-platforms":"freebsd_amd64"}}
    ]})";
  ReleaseManifest r = parse_release_manifest(legacy, "application/vnd.oci.image.manifest.v1+json");
  BOOST_TEST((r.layout == ReleaseManifest::Layout::kLegacy));
  BOOST_TEST_REQUIRE(r.packages.size() == 3u);  // linux_amd64 once (first wins), no freebsd
  BOOST_TEST(r.packages[0].os + "_" + r.packages[0].arch == "linux_amd64");
  BOOST_TEST(r.packages[0].digest == kZipA);
  BOOST_TEST(r.packages[1].os + "_" + r.packages[1].arch == "darwin_amd64");
  BOOST_TEST(r.packages[2].os + "_" + r.packages[2].arch == "windows_amd64");
  BOOST_TEST(r.packages[2].digest == kZipB);
  BOOST_TEST(r.packages[2].size == 20);
}

BOOST_AUTO_TEST_CASE(malformed_content_is_a_bad_response) {
  BOOST_TEST(fails_as_bad_response([] { parse_release_manifest("not json", ""); }));
  BOOST_TEST(fails_as_bad_response([] { parse_release_manifest("[]", ""); }));
  BOOST_TEST(fails_as_bad_response([] {
    parse_release_manifest(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x"},"layers":[]})", "");
  }));
  BOOST_TEST(fails_as_bad_response([] {
    parse_release_manifest(R"({"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
      {"artifactType":"application/vnd.opentofu.provider-target","digest":"sha256:short","platform":{"os":"linux","architecture":"amd64"}}]})", "");
  }));
  BOOST_TEST(fails_as_bad_response([] {
    parse_release_manifest(R"({"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
      {"artifactType":"application/vnd.opentofu.provider-target","digest":")" + kManA + R"(","platform":{"os":"Linux/x","architecture":"amd64"}}]})", "");
  }));
  PlatformManifestRef ref{"linux", "amd64", kManA};
  BOOST_TEST(fails_as_bad_response([&] { parse_platform_manifest(platform_manifest(""), ref); }));
  BOOST_TEST(fails_as_bad_response([&] { parse_platform_manifest(platform_manifest(zip_layer(kZipA) + "," + zip_layer(kZipB)), ref); }));
  BOOST_TEST(fails_as_bad_response([&] { parse_platform_manifest(platform_manifest(zip_layer("md5:abc")), ref); }));
}

BOOST_AUTO_TEST_CASE(protocols_and_signed_checksums_descriptor) {
  const std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
    "annotations":{"io.terraform.provider.protocols":"6.0, 5.1,junk,6.0,7"},
    "manifests":[
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.terraform.provider.shasums",
       "digest":")" + kManB + R"(","size":300},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.opentofu.provider-target",
       "digest":")" + kManA + R"(","size":500,"platform":{"os":"linux","architecture":"amd64"}}]})";
  ReleaseManifest r = parse_release_manifest(index, "");
  BOOST_TEST(r.protocols == (std::vector<std::string>{"6.0", "5.1"}));
  BOOST_TEST(r.shasums_manifest == kManB);
  BOOST_TEST_REQUIRE(r.platform_manifests.size() == 1u);
  BOOST_TEST(parse_release_manifest(kIndex, "").protocols.empty());
  BOOST_TEST(parse_release_manifest(kIndex, "").shasums_manifest.empty());

  const std::string sums = R"({"layers":[
      {"mediaType":"text/plain","digest":")" + kZipA + R"(","size":10},
      {"mediaType":"application/pgp-signature","digest":")" + kZipB + R"(","size":10},
      {"mediaType":"application/pgp-keys","digest":")" + kManA + R"(","size":10}]})";
  SignedShasumsRef ref = parse_shasums_manifest(sums);
  BOOST_TEST(ref.shasums_digest == kZipA);
  BOOST_TEST(ref.signature_digest == kZipB);
  BOOST_TEST(ref.public_key_digest == kManA);
  BOOST_CHECK_THROW(parse_shasums_manifest(R"({"layers":[]})"), Error);
}

BOOST_AUTO_TEST_CASE(module_manifest_yields_its_zip) {
  const std::string good = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "artifactType":"application/vnd.opentofu.modulepkg",
    "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" + kManA + R"(","size":2},
    "layers":[)" + zip_layer(kZipA) + "]}";
  BOOST_TEST(parse_module_manifest(good) == kZipA);
  std::string provider = good;
  provider.replace(provider.find("modulepkg"), 9, "provider-target");
  BOOST_CHECK_THROW(parse_module_manifest(provider), Error);
  std::string two = good;
  two.replace(two.find("]}"), 2, "," + zip_layer(kZipB) + "]}");
  BOOST_CHECK_THROW(parse_module_manifest(two), Error);
  BOOST_CHECK_THROW(parse_module_manifest("[]"), Error);
}

BOOST_AUTO_TEST_SUITE_END()
