#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "base/sha256.h"
#include "oci/manifests.h"
#include "publish/provider_publish.h"
#include "publish/push_report.h"
#include "terraform/release.h"
#include "testing/fake_clock.h"

using namespace otr;

namespace {

ProviderPackage package(const std::string& os, const std::string& arch, const std::string& digest) {
  ProviderPackage p;
  p.os = os;
  p.arch = arch;
  p.digest = digest;
  return p;
}

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kH1 = "h1:" + std::string(43, 'Q') + "=";

}  // namespace

BOOST_AUTO_TEST_SUITE(provider_publish)

BOOST_AUTO_TEST_CASE(identical_releases_have_no_differences) {
  std::vector<ProviderPackage> ours = {package("linux", "amd64", kA), package("darwin", "arm64", kB)};
  BOOST_TEST(release_differences({{"darwin_arm64", kB}, {"linux_amd64", kA}}, ours).empty());
}

BOOST_AUTO_TEST_CASE(every_difference_is_named) {
  std::vector<ProviderPackage> ours = {package("linux", "amd64", kA), package("windows", "amd64", kA)};
  auto d = release_differences({{"linux_amd64", kB}, {"darwin_arm64", kB}}, ours);
  BOOST_TEST_REQUIRE(d.size() == 3u);
  BOOST_TEST(d[0] == "darwin_arm64: published, but not in this push");
  BOOST_TEST(d[1].starts_with("linux_amd64: published package sha256:bbbb"));
  BOOST_TEST(d[1].find("this push has sha256:aaaa") != std::string::npos);
  BOOST_TEST(d[2] == "windows_amd64: not published yet, in this push");
}

BOOST_AUTO_TEST_CASE(platform_manifest_reads_back_as_the_mirror_reads_it) {
  std::string m = zip_artifact_manifest(kProviderTargetArtifactType, {kZipLayerMediaType, kA, 1234},
                                        {{kTitleAnnotation, "terraform-provider-x_1.0.0_linux_amd64.zip"}, {kH1Annotation, kH1}},
                                        {{kH1Annotation, kH1}, {kSourceAnnotation, ""}});
  BOOST_TEST(m.find("\"artifactType\":\"application/vnd.opentofu.provider-target\"") != std::string::npos);
  BOOST_TEST(m.find("\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:"
                    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2}") != std::string::npos);
  BOOST_TEST(m.find(kSourceAnnotation) == std::string::npos);  // empty values are left out
  BOOST_TEST(std::string(kEmptyConfigDigest) == "sha256:" + sha256_hex(kEmptyConfigData));
  PlatformPackage p = parse_platform_manifest(m, {"linux", "amd64", kB});
  BOOST_TEST(p.digest == kA);
  BOOST_TEST(p.size == 1234);
  BOOST_TEST(p.h1 == kH1);
}

BOOST_AUTO_TEST_CASE(index_reads_back_as_the_mirror_reads_it) {
  std::string index = platform_index(kProviderArtifactType, kProviderTargetArtifactType, {{"linux", "amd64", {kManifestMediaType, kA, 500}},
                                      {"darwin", "arm64", {kManifestMediaType, kB, 501}}},
                                     {{kVersionAnnotation, "1.0.0"}});
  ReleaseManifest r = parse_release_manifest(index, "");
  BOOST_TEST((r.layout == ReleaseManifest::Layout::kOpenTofu));
  BOOST_TEST_REQUIRE(r.platform_manifests.size() == 2u);
  BOOST_TEST(r.platform_manifests[0].os == "linux");
  BOOST_TEST(r.platform_manifests[0].digest == kA);
  BOOST_TEST(r.platform_manifests[1].arch == "arm64");
  BOOST_TEST(index == platform_index(kProviderArtifactType, kProviderTargetArtifactType, {{"linux", "amd64", {kManifestMediaType, kA, 500}},
                                      {"darwin", "arm64", {kManifestMediaType, kB, 501}}},
                                     {{kVersionAnnotation, "1.0.0"}}));  // deterministic bytes
}

BOOST_AUTO_TEST_CASE(created_time_is_the_clocks_unless_source_date_epoch_says_otherwise) {
  otr::testing::FakeClock clock(1600000000);
  BOOST_TEST(created_time(clock) == rfc3339_utc(clock.unix_now()));
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1);  // reproducible artifacts: a user's setting
  BOOST_TEST(created_time(clock) == "2023-11-14T22:13:20Z");
  unsetenv("SOURCE_DATE_EPOCH");
}

BOOST_AUTO_TEST_CASE(packages_are_checked_against_the_address_and_version) {
  ProviderAddress widget = parse_provider_address("acme/widget");
  auto error = [&](std::vector<std::string> paths, const std::string& version = "1.0.0") {
    try {
      check_provider_packages(widget, version, paths);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(error({}).find("no package given") != std::string::npos);
  BOOST_TEST(error({"data/terraform-provider-widget_1.0.0_linux_amd64.zip"}).find("no such file") != std::string::npos);
  BOOST_TEST(error({"data/terraform-provider-gadget_1.0.0_linux_amd64.zip"}).find("not \"widget\"") != std::string::npos);
  BOOST_TEST(error({"data/terraform-provider-widget_1.0.0_linux_amd64.zip"}, "2.0.0").find("not 2.0.0") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(sizes_for_people) {
  BOOST_TEST(human_size(0) == "0 B");
  BOOST_TEST(human_size(1023) == "1023 B");
  BOOST_TEST(human_size(1536) == "1.5 KiB");
  BOOST_TEST(human_size(20 << 20) == "20.0 MiB");
  BOOST_TEST(human_size(5LL << 30) == "5.0 GiB");
}

BOOST_AUTO_TEST_SUITE_END()
