// push hashes: h1: added to a release published without it, into an OCI layout written by hand.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/json.h"
#include "base/sha256.h"
#include "oci/layout_writer.h"
#include "oci/manifests.h"
#include "publish/provider_hashes.h"
#include "publish/provider_publish.h"
#include "publish/push_report.h"
#include "terraform/package_hash.h"
#include "terraform/release.h"

using namespace otr;

namespace {

const std::string kRepository = "terraform-providers/registry.terraform.io/acme/widget";
const std::string kNote = "com.example.note";
const std::string kH1 = "h1:" + std::string(43, 'Q') + "=";

// Two platforms with different zips, as oras writes them: no h1: anywhere.
struct HandPublished {
  std::filesystem::path dir;
  std::unique_ptr<OciLayoutTarget> target;
  std::map<std::string, std::string> zips = {{"darwin_arm64", "data/mixed.zip"}, {"linux_amd64", "data/provider-single.zip"}};
  std::map<std::string, FileDigest> blobs;      // platform -> zip digest and size
  std::map<std::string, std::string> manifest;  // platform -> platform manifest digest
  std::string extra;                            // a manifest of another artifact type the index names
  std::ostringstream out;
  LineReporter reporter{out};

  explicit HandPublished(const std::map<std::string, std::string>& h1_of = {}) {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("otr-hashes-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(dir);
    target = std::make_unique<OciLayoutTarget>(dir.string());
    target->put_blob(kRepository, {kEmptyConfigDigest, 2, "", kEmptyConfigData}, nullptr);
    std::vector<PlatformEntry> entries;
    for (const auto& [platform, path] : zips) {
      FileDigest d = file_sha256(path);
      blobs[platform] = d;
      target->put_blob(kRepository, {d.digest, d.size, path, ""}, nullptr);
      const std::string h1 = h1_of.count(platform) ? h1_of.at(platform) : "";
      std::string m = zip_artifact_manifest(kProviderTargetArtifactType, {kZipLayerMediaType, d.digest, d.size},
                                            {{kTitleAnnotation, platform + ".zip"}, {kH1Annotation, h1}},
                                            {{kNote, "by hand"}, {kH1Annotation, h1}});
      manifest[platform] = put(m);
      const std::string os = platform.substr(0, platform.find('_'));
      entries.push_back({os, platform.substr(os.size() + 1),
                         {kManifestMediaType, manifest[platform], static_cast<std::int64_t>(m.size())}});
    }
    std::string sbom = zip_artifact_manifest("application/spdx+json", {kZipLayerMediaType, blobs["linux_amd64"].digest,
                                                                       blobs["linux_amd64"].size}, {}, {});
    extra = put(sbom);
    tag(platform_index(kProviderArtifactType, kProviderTargetArtifactType, entries, {{kVersionAnnotation, "1.0.0"}},
                       {{"application/spdx+json", {kManifestMediaType, extra, static_cast<std::int64_t>(sbom.size())}}}));
  }
  ~HandPublished() {
    target.reset();
    std::filesystem::remove_all(dir);
  }

  std::string put(const std::string& manifest_body) {
    std::string digest = "sha256:" + sha256_hex(manifest_body);
    target->put_manifest(kRepository, digest, kManifestMediaType, manifest_body);
    return digest;
  }
  void tag(const std::string& index) { target->put_manifest(kRepository, "1.0.0", kIndexMediaType, index); }
  FetchedManifest index() { return *target->manifest_by_tag(kRepository, "1.0.0"); }
  HashesOutcome run(ArtifactTarget& through) {
    return add_provider_hashes(through, kRepository, parse_provider_address("acme/widget"), "1.0.0", reporter);
  }
  HashesOutcome run() { return run(*target); }
  // platform -> (its manifest, parsed)
  std::map<std::string, JsonPtr> platform_manifests() {
    std::map<std::string, JsonPtr> out;
    for (const PlatformManifestRef& ref : parse_release_manifest(index().body, kIndexMediaType).platform_manifests)
      out[ref.os + "_" + ref.arch] = json_parse(target->manifest_by_digest(kRepository, ref.digest).body);
    return out;
  }
};

std::string annotation(const cJSON* holder, const std::string& key) {
  return json_string(json_object(holder, "annotations"), key.c_str()).value_or("");
}

const cJSON* zip_layer(const cJSON* manifest) { return cJSON_GetArrayItem(json_array(manifest, "layers"), 0); }

// Forwards to a target; the first time a manifest is put by digest, something else is tagged first
// (another push of the same version, meanwhile).
class MovedMeanwhile : public ArtifactTarget {
 public:
  MovedMeanwhile(HandPublished& release, std::string other_index) : release_(release), other_(std::move(other_index)) {}
  std::string location(const std::string& repository) const override { return release_.target->location(repository); }
  std::optional<FetchedManifest> manifest_by_tag(const std::string& repository, const std::string& tag) override {
    return release_.target->manifest_by_tag(repository, tag);
  }
  FetchedManifest manifest_by_digest(const std::string& repository, const std::string& digest) override {
    return release_.target->manifest_by_digest(repository, digest);
  }
  BlobOutcome put_blob(const std::string& repository, const BlobUpload& blob, const ProgressCallback& progress,
                       std::string* mounted_from) override {
    return release_.target->put_blob(repository, blob, progress, mounted_from);
  }
  void put_manifest(const std::string& repository, const std::string& reference, const std::string& media_type,
                    const std::string& body) override {
    if (!moved_ && reference.starts_with("sha256:")) {
      release_.tag(other_);
      moved_ = true;
    }
    release_.target->put_manifest(repository, reference, media_type, body);
  }
  void stream_blob(const std::string& repository, const std::string& digest,
                   const std::function<bool(std::string_view)>& on_data) override {
    release_.target->stream_blob(repository, digest, on_data);
  }

 private:
  HandPublished& release_;
  std::string other_;
  bool moved_ = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(provider_hashes)

BOOST_AUTO_TEST_CASE(h1_is_added_to_every_platform_and_everything_else_is_kept) {
  HandPublished r;
  const FetchedManifest before = r.index();
  BOOST_TEST((r.run() == HashesOutcome::kAdded));
  const FetchedManifest after = r.index();
  BOOST_TEST(after.digest != before.digest);

  std::map<std::string, JsonPtr> manifests = r.platform_manifests();
  BOOST_TEST_REQUIRE(manifests.size() == 2u);
  for (const auto& [platform, m] : manifests) {
    BOOST_TEST_CONTEXT(platform) {
      const std::string h1 = package_h1(r.zips[platform]);  // what push provider computes
      BOOST_TEST(annotation(m.get(), kH1Annotation) == h1);
      BOOST_TEST(annotation(zip_layer(m.get()), kH1Annotation) == h1);
      // The same blob, config, artifact type and other annotations.
      BOOST_TEST(json_string(zip_layer(m.get()), "digest").value_or("") == r.blobs[platform].digest);
      BOOST_TEST(json_count(zip_layer(m.get()), "size").value_or(-1) == r.blobs[platform].size);
      BOOST_TEST(annotation(zip_layer(m.get()), kTitleAnnotation) == platform + ".zip");
      BOOST_TEST(annotation(m.get(), kNote) == "by hand");
      BOOST_TEST(json_string(m.get(), "artifactType").value_or("") == kProviderTargetArtifactType);
      BOOST_TEST(json_string(json_object(m.get(), "config"), "digest").value_or("") == kEmptyConfigDigest);
      // What the mirror and the registry read.
      PlatformPackage p = parse_platform_manifest(json_print(m.get()), {"x", "y", ""});
      BOOST_TEST(p.h1 == h1);
      BOOST_TEST(p.digest == r.blobs[platform].digest);
    }
  }
  // The index: same platforms, the other descriptor and the annotations as they were.
  JsonPtr index = json_parse(after.body);
  const cJSON* descriptors = json_array(index.get(), "manifests");
  BOOST_TEST_REQUIRE(cJSON_GetArraySize(descriptors) == 3);
  BOOST_TEST(json_string(cJSON_GetArrayItem(descriptors, 2), "digest").value_or("") == r.extra);
  BOOST_TEST(annotation(index.get(), kVersionAnnotation) == "1.0.0");
  BOOST_TEST(json_string(index.get(), "artifactType").value_or("") == kProviderArtifactType);
  BOOST_TEST(r.out.str().find("added h1: to 2 platforms of registry.terraform.io/acme/widget 1.0.0") !=
             std::string::npos, r.out.str());

  // Again: nothing to do, nothing written.
  BOOST_TEST((r.run() == HashesOutcome::kUnchanged));
  BOOST_TEST(r.index().digest == after.digest);
  BOOST_TEST(r.out.str().find("already carries its h1: hash; nothing to do") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_platform_that_carries_h1_is_left_as_it_is) {
  HandPublished r({{"darwin_arm64", kH1}});
  BOOST_TEST((r.run() == HashesOutcome::kAdded));
  ReleaseManifest release = parse_release_manifest(r.index().body, kIndexMediaType);
  BOOST_TEST_REQUIRE(release.platform_manifests.size() == 2u);
  BOOST_TEST(release.platform_manifests[0].arch == "arm64");
  BOOST_TEST(release.platform_manifests[0].digest == r.manifest["darwin_arm64"]);  // untouched, even its h1:
  BOOST_TEST(release.platform_manifests[1].digest != r.manifest["linux_amd64"]);
  BOOST_TEST(r.out.str().find("(1 carried it already)") != std::string::npos, r.out.str());
}

BOOST_AUTO_TEST_CASE(a_release_that_changed_meanwhile_is_not_tagged) {
  HandPublished r;
  // Another push of 1.0.0 lands while the hashes are computed.
  std::string other = platform_index(kProviderArtifactType, kProviderTargetArtifactType,
                                     {{"linux", "amd64", {kManifestMediaType, r.manifest["linux_amd64"], 10}}}, {});
  MovedMeanwhile moving(r, other);
  BOOST_CHECK_EXCEPTION(r.run(moving), PublishConflict, [](const PublishConflict& e) {
    return std::string(e.what()).find("changed while push hashes ran") != std::string::npos;
  });
  BOOST_TEST(r.index().body == other);  // the other push's index stays
}

BOOST_AUTO_TEST_CASE(a_blob_that_does_not_match_its_digest_publishes_nothing) {
  HandPublished r;
  const std::string before = r.index().digest;
  std::ofstream(r.dir / "blobs" / "sha256" / r.blobs["linux_amd64"].digest.substr(7), std::ios::trunc) << "damaged";
  BOOST_CHECK_EXCEPTION(r.run(), Error, [](const Error& e) { return e.kind() == ErrorKind::kBadResponse; });
  BOOST_TEST(r.index().digest == before);
}

BOOST_AUTO_TEST_CASE(missing_and_legacy_releases_are_refused) {
  HandPublished r;
  ProviderAddress widget = parse_provider_address("acme/widget");
  BOOST_CHECK_EXCEPTION(add_provider_hashes(*r.target, kRepository, widget, "2.0.0", r.reporter), Error,
                        [](const Error& e) { return e.kind() == ErrorKind::kNotFound; });
  const std::string zip = r.blobs["linux_amd64"].digest;
  std::string legacy = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(kManifestMediaType) +
                       "\",\"config\":{\"mediaType\":\"" + kLegacyConfigMediaType + "\",\"digest\":\"" +
                       kEmptyConfigDigest + "\",\"size\":2},\"layers\":[{\"mediaType\":\"" + kLegacyLayerMediaType +
                       "\",\"digest\":\"" + zip + "\",\"size\":10,\"annotations\":{\"" + kLegacyPlatformsAnnotation +
                       "\":\"linux_amd64\"}}]}";
  r.target->put_manifest(kRepository, "3.0.0", kManifestMediaType, legacy);
  BOOST_CHECK_EXCEPTION(add_provider_hashes(*r.target, kRepository, widget, "3.0.0", r.reporter), Error,
                        [](const Error& e) {
                          return e.kind() == ErrorKind::kBadResponse &&
                                 std::string(e.what()).find("original Go tool's layout") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(manifest_with_h1_sets_both_annotations_in_place) {
  const std::string zip = "sha256:" + std::string(64, 'a');
  // A value that is there already (here: malformed) is replaced where it stands; others are kept.
  std::string m = zip_artifact_manifest(kProviderTargetArtifactType, {kZipLayerMediaType, zip, 5},
                                        {{kH1Annotation, "h1:bad"}, {kTitleAnnotation, "x.zip"}}, {});
  std::string out = manifest_with_h1(m, kH1);
  BOOST_TEST(out == zip_artifact_manifest(kProviderTargetArtifactType, {kZipLayerMediaType, zip, 5},
                                          {{kH1Annotation, kH1}, {kTitleAnnotation, "x.zip"}}, {{kH1Annotation, kH1}}));
  BOOST_TEST(manifest_with_h1(out, kH1) == out);
  BOOST_CHECK_THROW(manifest_with_h1("{\"layers\":[]}", kH1), Error);
  BOOST_CHECK_THROW(manifest_with_h1("{\"layers\":[{\"mediaType\":\"archive/zip\"},{\"mediaType\":\"archive/zip\"}]}", kH1),
                    Error);
  BOOST_CHECK_THROW(manifest_with_h1("[]", kH1), Error);
}

BOOST_AUTO_TEST_CASE(index_with_replaced_changes_only_the_named_descriptors) {
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  const std::string c = "sha256:" + std::string(64, 'c');
  std::string index = platform_index(kProviderArtifactType, kProviderTargetArtifactType,
                                     {{"linux", "amd64", {kManifestMediaType, a, 100}},
                                      {"darwin", "arm64", {kManifestMediaType, b, 200}}},
                                     {{kVersionAnnotation, "1.0.0"}});
  BOOST_TEST(index_with_replaced(index, {{a, {kManifestMediaType, c, 300}}}) ==
             platform_index(kProviderArtifactType, kProviderTargetArtifactType,
                            {{"linux", "amd64", {kManifestMediaType, c, 300}},
                             {"darwin", "arm64", {kManifestMediaType, b, 200}}},
                            {{kVersionAnnotation, "1.0.0"}}));
  BOOST_TEST(index_with_replaced(index, {}) == index);
  BOOST_CHECK_THROW(index_with_replaced("{}", {}), Error);
}

BOOST_AUTO_TEST_SUITE_END()
