// The import of a release from an upstream provider registry: the plan, the checks, the documents
// written, and the refusals, against a scripted upstream and an OCI layout on disk.
#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/sha256.h"
#include "oci/layout_writer.h"
#include "openpgp/gnupg.h"
#include "terraform/package_hash.h"
#include "terraform/release.h"
#include "testing/fake_transport.h"
#include "testing/raw_zip.h"
#include "testing/scripted_upstream.h"
#include "upstream/release_import.h"

namespace otr {
namespace {

using testing::FakeTransport;
using testing::kUp;
using testing::ScriptedAnswer;
using testing::Upstream;

struct LayoutDir {
  LayoutDir() {
    path = std::filesystem::temp_directory_path() / ("otr-import-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(++counter));
    std::filesystem::remove_all(path);
  }
  ~LayoutDir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
  std::filesystem::path path;
};

const ProviderAddress kWidget{"registry.terraform.io", "acme", "widget"};
const char* kRepo = "p/registry.terraform.io/acme/widget";

ImportResult run_import(Upstream& up, OciLayoutTarget& target, std::vector<std::string> platforms = {},
                        std::vector<std::string> known = {}) {
  ProviderSource source(up.config(platforms), up.transport, Seconds(5), Seconds(30), Seconds(60));
  ImportObserver observer;
  return import_provider_release(source, target, kRepo, kWidget, *parse_version("1.0.0"), platforms, observer,
                                 nullptr, known);
}

// Why an import from `up` into a fresh layout is refused ("" when it is not); checks that the
// refusal left no tag behind.
std::string refusal(Upstream& up) {
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  std::string why;
  try {
    run_import(up, target);
  } catch (const UpstreamError& e) {
    why = e.what();
  }
  BOOST_TEST(!target.manifest_by_tag(kRepo, "1.0.0").has_value());
  return why;
}

// That `result` says the release was imported, and `target` holds it: its tag names the index the
// result names, with a platform manifest for each platform imported and the publisher's checksums.
void expect_stored(const ImportResult& result, OciLayoutTarget& target) {
  BOOST_TEST(static_cast<int>(result.outcome) == static_cast<int>(ImportOutcome::kImported));
  BOOST_TEST(result.index_digest.starts_with("sha256:"));
  std::optional<FetchedManifest> tagged = target.manifest_by_tag(kRepo, "1.0.0");
  BOOST_TEST_REQUIRE(tagged.has_value());
  BOOST_TEST(tagged->digest == result.index_digest);
  ReleaseManifest m = parse_release_manifest(tagged->body, kIndexMediaType);
  BOOST_TEST(!m.platform_manifests.empty());
  BOOST_TEST(m.platform_manifests.size() == result.platforms.size());
  BOOST_TEST(!m.shasums_manifest.empty());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(release_import)

BOOST_AUTO_TEST_CASE(plan_takes_the_configured_platforms_of_the_release_sorted) {
  UpstreamRelease r{*parse_version("1.0.0"), {}, {{"windows", "amd64"}, {"darwin", "arm64"}, {"linux", "amd64"}}};
  auto all = platforms_to_import(r, {});
  BOOST_TEST(all.size() == 3u);
  BOOST_TEST(all[0].first == "darwin");
  auto some = platforms_to_import(r, {"linux_amd64", "freebsd_386"});
  BOOST_TEST(some.size() == 1u);
  BOOST_TEST(some[0].first + "_" + some[0].second == "linux_amd64");
}

BOOST_AUTO_TEST_CASE(shasums_lines_must_name_every_package_with_its_shasum) {
  UpstreamPackage p;
  p.filename = "terraform-provider-widget_1.0.0_linux_amd64.zip";
  p.shasum = std::string(64, 'a');
  BOOST_CHECK_NO_THROW(check_shasums_lines(std::string(64, 'a') + "  " + p.filename + "\n", {p}));
  BOOST_CHECK_NO_THROW(check_shasums_lines(std::string(64, 'A') + " *" + p.filename + "\r\n", {p}));
  BOOST_CHECK_THROW(check_shasums_lines(std::string(64, 'b') + "  " + p.filename + "\n", {p}), UpstreamError);
  BOOST_CHECK_THROW(check_shasums_lines(std::string(64, 'a') + "  other.zip\n", {p}), UpstreamError);
  BOOST_CHECK_THROW(check_shasums_lines("abc  " + p.filename + "\n", {p}), UpstreamError);
}

BOOST_AUTO_TEST_CASE(release_documents_are_the_same_bytes_for_the_same_release) {
  const std::string kH1a = "h1:" + std::string(43, 'A') + "=", kH1b = "h1:" + std::string(43, 'B') + "=";
  std::vector<VerifiedPackage> packages = {
      {"darwin", "arm64", "terraform-provider-widget_1.0.0_darwin_arm64.zip", "sha256:" + std::string(64, '1'), 10,
       kH1a, "/x"},
      {"linux", "amd64", "terraform-provider-widget_1.0.0_linux_amd64.zip", "sha256:" + std::string(64, '2'), 20,
       kH1b, "/y"}};
  SignedChecksums sums{"sums\n", "sig", "key"};
  ReleaseDocuments a = release_documents("widget", *parse_version("1.0.0"), packages, sums, {"6.0"});
  packages[0].path = "/elsewhere";  // where the file was does not matter
  ReleaseDocuments b = release_documents("widget", *parse_version("1.0.0"), packages, sums, {"6.0"});
  BOOST_TEST(a.index == b.index);
  BOOST_TEST(a.index.find("created") == std::string::npos);
  ReleaseManifest m = parse_release_manifest(a.index, kIndexMediaType);
  BOOST_TEST(m.platform_manifests.size() == 2u);
  BOOST_TEST(m.platform_manifests[0].os == "darwin");
  BOOST_TEST(m.shasums_manifest == a.checksums.descriptor.digest);
  BOOST_TEST(m.protocols == std::vector<std::string>{"6.0"});
  PlatformPackage p = parse_platform_manifest(a.platforms[1].body, m.platform_manifests[1]);
  BOOST_TEST(p.h1 == kH1b);
  BOOST_TEST(p.size == 20);
  SignedShasumsRef ref = parse_shasums_manifest(a.checksums.body);
  BOOST_TEST(ref.shasums_digest == "sha256:" + sha256_hex("sums\n"));
}

BOOST_AUTO_TEST_CASE(an_import_writes_the_verified_release_and_a_second_one_asks_nothing) {
  Upstream up;
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  ImportResult result = run_import(up, target, {"darwin_arm64", "linux_amd64"});
  BOOST_TEST(static_cast<int>(result.outcome) == static_cast<int>(ImportOutcome::kImported));
  BOOST_TEST(result.platforms.size() == 2u);
  std::optional<FetchedManifest> tagged = target.manifest_by_tag(kRepo, "1.0.0");
  BOOST_REQUIRE(tagged.has_value());
  BOOST_TEST(tagged->digest == result.index_digest);
  ReleaseManifest m = parse_release_manifest(tagged->body, kIndexMediaType);
  BOOST_TEST(m.platform_manifests.size() == 2u);
  BOOST_TEST(!m.shasums_manifest.empty());
  // The storage URL's query (its credentials) was followed, never sent anywhere else; no request
  // carried an Authorization header.
  for (const OutgoingRequest& r : up.transport.seen)
    for (const std::string& h : r.headers) BOOST_TEST(h.find("Authorization") == std::string::npos);
  BOOST_TEST(std::any_of(up.transport.seen.begin(), up.transport.seen.end(),
                         [](const OutgoingRequest& r) { return r.url.starts_with("https://storage.example/"); }));

  const std::size_t asked = up.transport.seen.size();
  ImportResult again = run_import(up, target, {"darwin_arm64", "linux_amd64"});
  BOOST_TEST(static_cast<int>(again.outcome) == static_cast<int>(ImportOutcome::kAlreadyStored));
  BOOST_TEST(up.transport.seen.size() == asked);
  BOOST_TEST(again.index_digest == result.index_digest);
}

BOOST_AUTO_TEST_CASE(imports_of_the_same_release_in_two_places_write_the_same_index) {
  Upstream up;  // one upstream: the same signature bytes for both (a signature carries its time)
  LayoutDir d1, d2;
  OciLayoutTarget t1(d1.path.string()), t2(d2.path.string());
  ImportResult r1 = run_import(up, t1), r2 = run_import(up, t2);
  expect_stored(r1, t1);
  expect_stored(r2, t2);
  BOOST_TEST(r1.index_digest == r2.index_digest);
}

BOOST_AUTO_TEST_CASE(a_signature_by_a_key_the_upstream_does_not_list_is_refused_and_nothing_is_written) {
  Upstream up("../data/signing/unit-test-key.gpg", false, /*list_other_key=*/true);
  const std::string why = refusal(up);
  BOOST_TEST(why.find("does not verify") != std::string::npos, why);
  // Refused before any package was downloaded.
  BOOST_TEST(std::none_of(up.transport.seen.begin(), up.transport.seen.end(),
                          [](const OutgoingRequest& r) { return r.url.find(".zip") != std::string::npos; }));
}

BOOST_AUTO_TEST_CASE(a_zip_that_does_not_match_its_checksum_is_refused_and_nothing_is_written) {
  Upstream up("../data/signing/unit-test-key.gpg", /*tamper=*/true);
  const std::string why = refusal(up);
  BOOST_TEST(why.find("does not match its checksum") != std::string::npos, why);
  BOOST_TEST(why.find("sig=secret") == std::string::npos);  // a signed storage URL's query is never shown
}

BOOST_AUTO_TEST_CASE(a_lock_files_hashes_must_match_what_is_imported) {
  Upstream up;
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  BOOST_CHECK_THROW(run_import(up, target, {"linux_amd64"}, {"zh:" + std::string(64, '0')}), UpstreamError);
  BOOST_TEST(!target.manifest_by_tag(kRepo, "1.0.0").has_value());
  ImportResult ok = run_import(up, target, {"linux_amd64"}, {"zh:" + sha256_hex(up.zip)});
  expect_stored(ok, target);
}

BOOST_AUTO_TEST_CASE(a_lock_file_with_h1_only_vouches_for_one_platform_at_least) {
  // Made through a mirror: the h1: of the platform it ran on, no zh:.
  Upstream up;
  LayoutDir d1, d2;
  OciLayoutTarget bogus(d1.path.string()), good(d2.path.string());
  BOOST_CHECK_THROW(run_import(up, bogus, {}, {"h1:" + std::string(43, 'A') + "="}), UpstreamError);
  BOOST_TEST(!bogus.manifest_by_tag(kRepo, "1.0.0").has_value());
  const std::string h1 = package_h1("data/provider-single.zip");
  ImportResult r = run_import(up, good, {"darwin_arm64", "linux_amd64"}, {h1});
  expect_stored(r, good);
}

BOOST_AUTO_TEST_CASE(a_version_or_provider_the_upstream_does_not_have_is_a_value) {
  Upstream up;
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  ProviderSource source(up.config(), up.transport, Seconds(5), Seconds(30), Seconds(60));
  ImportObserver observer;
  ImportResult r = import_provider_release(source, target, kRepo, kWidget, *parse_version("2.0.0"), {}, observer);
  BOOST_TEST(static_cast<int>(r.outcome) == static_cast<int>(ImportOutcome::kNotUpstream));
  up.transport.on("GET", std::string(kUp) + "/v1/providers/acme/gone/versions", ScriptedAnswer(404));
  ImportResult gone = import_provider_release(source, target, "p/gone", {"registry.terraform.io", "acme", "gone"},
                                              *parse_version("1.0.0"), {}, observer);
  BOOST_TEST(static_cast<int>(gone.outcome) == static_cast<int>(ImportOutcome::kNotUpstream));
}

BOOST_AUTO_TEST_CASE(a_release_without_the_configured_platforms_is_refused) {
  Upstream up;
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  BOOST_CHECK_THROW(run_import(up, target, {"freebsd_386"}), UpstreamError);
  BOOST_TEST(!target.manifest_by_tag(kRepo, "1.0.0").has_value());
}

BOOST_AUTO_TEST_CASE(a_signed_zip_bomb_is_the_upstreams_fault_refused_before_it_is_inflated) {
  // The review's release: correctly signed, one entry of 64 MiB of zeros listed 4,000 times.
  Upstream up("../data/signing/unit-test-key.gpg", false, false,
              testing::listed_many_times("terraform-provider-widget", 64ull << 20, 4000));
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  try {
    run_import(up, target, {"linux_amd64"});
    BOOST_FAIL("the bomb was imported");
  } catch (const UpstreamError& e) {
    BOOST_TEST(std::string(e.what()).find("overlap") != std::string::npos, e.what());
  }
  BOOST_TEST(!target.manifest_by_tag(kRepo, "1.0.0").has_value());
}

BOOST_AUTO_TEST_CASE(a_package_expanding_beyond_max_package_size_is_refused) {
  Upstream up("../data/signing/unit-test-key.gpg", false, false, testing::raw_zip({{"binary", "", 3u << 20}}));
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  UpstreamConfig config = up.config({"linux_amd64"});
  config.max_package_bytes = 2u << 20;  // the zip itself is a few KB: only its contents are too large
  ProviderSource source(config, up.transport, Seconds(5), Seconds(30), Seconds(60));
  ImportObserver observer;
  try {
    import_provider_release(source, target, kRepo, kWidget, *parse_version("1.0.0"), {"linux_amd64"}, observer);
    BOOST_FAIL("the package was imported");
  } catch (const UpstreamError& e) {
    BOOST_TEST(std::string(e.what()).find("expands to more than 2 MiB") != std::string::npos, e.what());
  }
  config.max_package_bytes = 4u << 20;
  ProviderSource roomier(config, up.transport, Seconds(5), Seconds(30), Seconds(60));
  ImportResult r = import_provider_release(roomier, target, kRepo, kWidget, *parse_version("1.0.0"), {"linux_amd64"},
                                           observer);
  BOOST_TEST(static_cast<int>(r.outcome) == static_cast<int>(ImportOutcome::kImported));
}

BOOST_AUTO_TEST_CASE(each_package_is_stored_before_the_next_is_downloaded) {
  // One package on disk at a time: when the second platform's download starts, the first one's blob
  // is in the registry already (here a layout: blobs/sha256/<hex>).
  struct Watch : ImportObserver {
    std::filesystem::path blob;
    std::vector<bool> stored_at_download;
    void transfer_started(const std::string& label, std::int64_t) override {
      if (label.starts_with("download ")) stored_at_download.push_back(std::filesystem::exists(blob));
    }
  } watch;
  Upstream up;
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  watch.blob = dir.path / "blobs" / "sha256" / sha256_hex(up.zip);
  ProviderSource source(up.config(), up.transport, Seconds(5), Seconds(30), Seconds(60));
  import_provider_release(source, target, kRepo, kWidget, *parse_version("1.0.0"), {}, watch);
  BOOST_REQUIRE(watch.stored_at_download.size() == 3u);
  BOOST_TEST(!watch.stored_at_download[0]);
  BOOST_TEST(watch.stored_at_download[1]);
  BOOST_TEST(watch.stored_at_download[2]);
}

BOOST_AUTO_TEST_CASE(a_cancelled_import_stores_nothing_and_is_not_the_upstreams_fault) {
  struct CancelAtUpload : ImportObserver {
    std::atomic<bool>* flag = nullptr;
    void transfer_finished() override { *flag = true; }  // the first download has finished: hashing comes next
  } observer;
  std::atomic<bool> cancelled{false};
  observer.flag = &cancelled;
  Upstream up("../data/signing/unit-test-key.gpg", false, false, testing::raw_zip({{"binary", "", 8u << 20}}));
  LayoutDir dir;
  OciLayoutTarget target(dir.path.string());
  ProviderSource source(up.config(), up.transport, Seconds(5), Seconds(30), Seconds(60));
  try {
    import_provider_release(source, target, kRepo, kWidget, *parse_version("1.0.0"), {}, observer, &cancelled);
    BOOST_FAIL("a cancelled import finished");
  } catch (const UpstreamError& e) {
    BOOST_FAIL("a cancelled import was called the upstream's fault: " << e.what());
  } catch (const Error& e) {
    BOOST_TEST((e.kind() == ErrorKind::kUnavailable));
  }
  BOOST_TEST(!target.manifest_by_tag(kRepo, "1.0.0").has_value());
  BOOST_TEST(!std::filesystem::exists(dir.path / "blobs" / "sha256" / sha256_hex(up.zip)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
