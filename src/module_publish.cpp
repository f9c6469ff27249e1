#include "module_publish.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "artifact_manifest.h"
#include "input_error.h"
#include "json.h"
#include "oci_names.h"
#include "package_hash.h"
#include "provider_release.h"
#include "semver.h"
#include "sha256.h"

namespace otr {

namespace {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// The zip layer a module manifest holds, or "" when it is not one.
std::string module_layer_digest(const FetchedManifest& m) {
  JsonPtr doc = json_parse(m.body);
  if (!doc || json_string(doc.get(), "artifactType").value_or("") != kModuleArtifactType) return {};
  const cJSON* layers = json_array(doc.get(), "layers");
  if (layers == nullptr || cJSON_GetArraySize(layers) != 1) return {};
  const cJSON* layer = cJSON_GetArrayItem(layers, 0);
  if (json_string(layer, "mediaType").value_or("") != kZipLayerMediaType) return {};
  return json_string(layer, "digest").value_or("");
}

}  // namespace

ModuleAddress parse_module_address(std::string_view text) {
  std::vector<std::string> parts = split(text, '/');
  const std::string expected = "expected NAMESPACE/NAME/SYSTEM, e.g. acme/network/aws";
  if (parts.size() != 3) throw InputError("module address \"" + std::string(text) + "\" does not parse: " + expected);
  ModuleAddress address;
  auto ns = provider_name_to_component(parts[0]);
  auto name = provider_name_to_component(parts[1]);
  std::string system = parts[2];
  bool system_ok = !system.empty() && system.size() <= 64 &&
                   std::all_of(system.begin(), system.end(), [](unsigned char c) { return std::isalnum(c); });
  std::transform(system.begin(), system.end(), system.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!ns || !name || !system_ok)
    throw InputError("module address \"" + std::string(text) +
                     "\": namespace and name are letters, digits, '-' and '_', the system letters and digits (" +
                     expected + ")");
  address.ns = *ns;
  address.name = *name;
  address.system = system;
  return address;
}

std::string module_repository(std::string_view prefix, const ModuleAddress& address) {
  std::string repo;
  if (!prefix.empty()) repo = std::string(prefix) + "/";
  return repo + address.ns + "/" + address.name + "/" + address.system;
}

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
  const std::string created = settings.created.empty() ? created_timestamp() : settings.created;
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
