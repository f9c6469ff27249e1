#include "publish/module_publish.h"

#include <vector>

#include "base/error.h"
#include "base/names.h"
#include "base/sha256.h"
#include "oci/manifests.h"
#include "terraform/package_hash.h"
#include "terraform/release.h"
#include "terraform/versions.h"

namespace otr {

namespace {

// The zip layer a module manifest holds, or "" when it is not one.
std::string module_layer_digest(const FetchedManifest& m) {
  try {
    return parse_module_manifest(m.body);
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

PublishOutcome publish_module(ArtifactTarget& target, const std::string& repository, const ModuleAddress& address,
                              const std::string& version, const std::string& zip_path, const std::string& file_name,
                              const PublishSettings& settings, PushReporter& reporter) {
  auto parsed = parse_version(version);
  if (!parsed) throw InputError("\"" + version + "\" is not a version (semver, like 1.2.0)");
  package_h1(zip_path);  // reads every entry: a corrupt zip is refused before anything is sent
  FileDigest zip = file_sha256(zip_path);
  const std::string tag = version_to_tag(*parsed);
  const std::string where = target.location(repository) + ":" + tag;
  const std::string what = "module " + address.to_string() + " " + version;

  PublishOutcome outcome = PublishOutcome::kPublished;
  if (std::optional<FetchedManifest> existing = target.manifest_by_tag(repository, tag)) {
    std::string held = module_layer_digest(*existing);
    if (held == zip.digest) {
      reporter.line(what + " is already published with an identical package at " + where + "; nothing to do");
      return PublishOutcome::kUnchanged;
    }
    if (!settings.force)
      throw PublishConflict(what + " is already published at " + where + " with different content (" +
                            (held.empty() ? "not a module package" : "package " + held.substr(0, 19) + "...") +
                            ", this push has " + zip.digest.substr(0, 19) +
                            "...).\nA published version should never change. Publish a new version, or give "
                            "--force to replace it.");
    outcome = PublishOutcome::kReplaced;
  }
  const std::string& created = settings.created;
  put_blob_reported(target, repository, BlobUpload{kEmptyConfigDigest, 2, "", kEmptyConfigData}, "config", reporter);
  std::string result = put_blob_reported(target, repository, BlobUpload{zip.digest, zip.size, zip_path, ""}, "module",
                                         reporter);
  std::string manifest = zip_artifact_manifest(
      kModuleArtifactType, {kZipLayerMediaType, zip.digest, zip.size}, {{kTitleAnnotation, file_name}},
      {{kVersionAnnotation, version}, {kCreatedAnnotation, created}, {kSourceAnnotation, settings.source}});
  target.put_manifest(repository, tag, kManifestMediaType, manifest);
  reporter.line("  " + file_name + "  " + human_size(zip.size) + "  " + result + "  zh:" + zip.digest.substr(7));
  reporter.line((outcome == PublishOutcome::kReplaced ? "replaced " : "published ") + what + " at " + where +
                " @sha256:" + sha256_hex(manifest));
  return outcome;
}

}  // namespace otr
