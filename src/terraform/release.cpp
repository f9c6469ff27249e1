#include "terraform/release.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/error.h"
#include "base/json.h"
#include "base/names.h"
#include "base/strings.h"
#include "terraform/package_names.h"
#include "terraform/versions.h"

namespace otr {

namespace {

[[noreturn]] void malformed(const std::string& message) {
  throw Error(ErrorKind::kBadResponse, "malformed provider release: " + message);
}


std::string annotation(const cJSON* holder, const char* key) {
  const cJSON* annotations = json_object(holder, "annotations");
  return annotations ? json_string(annotations, key).value_or("") : "";
}

// An h1: hash is 32 bytes in padded standard base64; anything else would make clients reject the
// whole document, so a malformed annotation is ignored.
std::string valid_h1(std::string value) {
  bool ok = value.size() == 47 && value.starts_with("h1:") && value.back() == '=' &&
            std::all_of(value.begin() + 3, value.end() - 1, [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
            });
  return ok ? value : std::string();
}

// "5.0, 6.0" -> {"5.0", "6.0"}; entries that are not MAJOR.MINOR are dropped.
std::vector<std::string> parse_protocols(const std::string& text) {
  std::vector<std::string> out;
  for (std::string item : split(text, ',')) {
    item = trim(item);
    if (is_protocol_version(item) && std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  return out;
}

std::int64_t descriptor_size(const cJSON* descriptor) {
  return json_count(descriptor, "size").value_or(-1);
}

ReleaseManifest parse_index(const cJSON* doc) {
  const cJSON* manifests = json_array(doc, "manifests");
  if (manifests == nullptr) malformed("image index without a manifests list");
  ReleaseManifest release;
  release.layout = ReleaseManifest::Layout::kOpenTofu;
  release.protocols = parse_protocols(annotation(doc, kProtocolsAnnotation));
  release.created = annotation(doc, kCreatedAnnotation);
  release.source = annotation(doc, kSourceAnnotation);
  std::set<std::string> seen;
  const cJSON* descriptor = nullptr;
  cJSON_ArrayForEach(descriptor, manifests) {
    std::string artifact_type = json_string(descriptor, "artifactType").value_or("");
    if (artifact_type == kShasumsArtifactType && release.shasums_manifest.empty()) {
      std::string digest = json_string(descriptor, "digest").value_or("");
      if (is_valid_digest(digest)) release.shasums_manifest = digest;
      continue;
    }
    // Other artifact types (SBOMs, extra metadata) have room beside the platforms.
    if (artifact_type != kProviderTargetArtifactType) continue;
    const cJSON* platform = json_object(descriptor, "platform");
    std::string os = platform ? json_string(platform, "os").value_or("") : "";
    std::string arch = platform ? json_string(platform, "architecture").value_or("") : "";
    std::string digest = json_string(descriptor, "digest").value_or("");
    if (!is_platform_word(os) || !is_platform_word(arch)) malformed("platform descriptor without a valid os/architecture");
    if (!is_valid_digest(digest)) malformed("platform descriptor for " + os + "_" + arch + " has an invalid digest");
    if (!seen.insert(os + "_" + arch).second) continue;  // the first descriptor of a platform wins
    release.platform_manifests.push_back({os, arch, digest});
  }
  return release;
}

ReleaseManifest parse_legacy(const cJSON* doc) {
  const cJSON* layers = json_array(doc, "layers");
  if (layers == nullptr) malformed("image manifest without layers");
  ReleaseManifest release;
  release.layout = ReleaseManifest::Layout::kLegacy;
  release.protocols = parse_protocols(annotation(doc, kProtocolsAnnotation));
  release.created = annotation(doc, kCreatedAnnotation);
  release.source = annotation(doc, kSourceAnnotation);
  std::set<std::string> seen;
  const cJSON* layer = nullptr;
  cJSON_ArrayForEach(layer, layers) {
    if (json_string(layer, "mediaType").value_or("") != kLegacyLayerMediaType) continue;
    std::string platforms = annotation(layer, kLegacyPlatformsAnnotation);
    if (platforms.empty()) continue;
    std::string digest = json_string(layer, "digest").value_or("");
    if (!is_valid_digest(digest)) malformed("package layer with an invalid digest");
    for (std::string item : split(platforms, ',')) {
      item = trim(item);
      if (item.empty()) continue;
      size_t sep = item.find('_');
      if (sep == std::string::npos || !is_platform_word(item.substr(0, sep)) || !is_platform_word(item.substr(sep + 1)))
        malformed("target platform \"" + item + "\" is not of the form os_arch");
      if (!seen.insert(item).second) continue;
      PlatformPackage package;
      package.os = item.substr(0, sep);
      package.arch = item.substr(sep + 1);
      package.digest = digest;
      package.size = descriptor_size(layer);
      package.h1 = valid_h1(annotation(layer, kH1Annotation));
      release.packages.push_back(std::move(package));
    }
  }
  return release;
}

}  // namespace

ReleaseManifest parse_release_manifest(std::string_view body, std::string_view media_type) {
  JsonPtr doc = json_parse(body);
  if (!doc || !cJSON_IsObject(doc.get())) malformed("manifest is not a JSON object");
  std::string type = json_string(doc.get(), "mediaType").value_or(std::string(media_type));
  if (type == kIndexMediaType || type == "application/vnd.docker.distribution.manifest.list.v2+json" ||
      (type.empty() && json_array(doc.get(), "manifests") != nullptr))
    return parse_index(doc.get());
  const cJSON* config = json_object(doc.get(), "config");
  if (config && json_string(config, "mediaType").value_or("") == kLegacyConfigMediaType) return parse_legacy(doc.get());
  malformed("the version tag names neither an OpenTofu provider index nor a legacy provider manifest");
}

PlatformPackage parse_platform_manifest(std::string_view body, const PlatformManifestRef& ref) {
  std::string where = "platform manifest " + ref.os + "_" + ref.arch;
  JsonPtr doc = json_parse(body);
  if (!doc || !cJSON_IsObject(doc.get())) malformed(where + " is not a JSON object");
  const cJSON* layers = json_array(doc.get(), "layers");
  if (layers == nullptr) malformed(where + " has no layers");
  const cJSON* zip = nullptr;
  const cJSON* layer = nullptr;
  cJSON_ArrayForEach(layer, layers) {
    if (json_string(layer, "mediaType").value_or("") != kZipLayerMediaType) continue;
    if (zip != nullptr) malformed(where + " has more than one archive/zip layer");
    zip = layer;
  }
  if (zip == nullptr) malformed(where + " has no archive/zip layer");
  PlatformPackage package;
  package.os = ref.os;
  package.arch = ref.arch;
  package.digest = json_string(zip, "digest").value_or("");
  if (!is_valid_digest(package.digest)) malformed(where + " has a layer with an invalid digest");
  package.size = descriptor_size(zip);
  package.h1 = valid_h1(annotation(zip, kH1Annotation));
  if (package.h1.empty()) package.h1 = valid_h1(annotation(doc.get(), kH1Annotation));
  return package;
}

SignedShasumsRef parse_shasums_manifest(std::string_view body) {
  JsonPtr doc = json_parse(body);
  if (!doc || !cJSON_IsObject(doc.get())) malformed("the signed checksums manifest is not a JSON object");
  const cJSON* layers = json_array(doc.get(), "layers");
  SignedShasumsRef ref;
  const cJSON* layer = nullptr;
  cJSON_ArrayForEach(layer, layers) {
    std::string type = json_string(layer, "mediaType").value_or("");
    std::string digest = json_string(layer, "digest").value_or("");
    if (!is_valid_digest(digest)) continue;
    if (type == kShasumsMediaType) ref.shasums_digest = digest;
    if (type == kShasumsSignatureMediaType) ref.signature_digest = digest;
    if (type == kPublicKeyMediaType) ref.public_key_digest = digest;
  }
  if (ref.shasums_digest.empty() || ref.signature_digest.empty() || ref.public_key_digest.empty())
    malformed("the signed checksums manifest needs text/plain, application/pgp-signature and application/pgp-keys layers");
  return ref;
}

std::string parse_module_manifest(std::string_view body) {
  JsonPtr doc = json_parse(body);
  if (!doc || !cJSON_IsObject(doc.get())) malformed("module manifest is not a JSON object");
  std::string artifact_type = json_string(doc.get(), "artifactType").value_or("");
  if (artifact_type.empty()) {
    const cJSON* config = json_object(doc.get(), "config");
    artifact_type = config ? json_string(config, "mediaType").value_or("") : "";
  }
  if (artifact_type != kModuleArtifactType)
    malformed("the version tag does not name a module package (artifactType " + std::string(kModuleArtifactType) + ")");
  const cJSON* layers = json_array(doc.get(), "layers");
  std::string digest;
  const cJSON* layer = nullptr;
  cJSON_ArrayForEach(layer, layers) {
    if (json_string(layer, "mediaType").value_or("") != kZipLayerMediaType) continue;
    if (!digest.empty()) malformed("module manifest has more than one archive/zip layer");
    digest = json_string(layer, "digest").value_or("");
    if (!is_valid_digest(digest)) malformed("module manifest has a layer with an invalid digest");
  }
  if (digest.empty()) malformed("module manifest has no archive/zip layer");
  return digest;
}

std::string manifest_annotation(std::string_view body, const char* key) {
  JsonPtr doc = json_parse(body);
  return doc && cJSON_IsObject(doc.get()) ? annotation(doc.get(), key) : "";
}

}  // namespace otr
