#include "publish/provider_hashes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "publish/provider_publish.h"
#include "terraform/package_hash.h"
#include "terraform/release.h"
#include "terraform/versions.h"

namespace otr {

namespace {

[[noreturn]] void unusable(const std::string& message) { throw Error(ErrorKind::kBadResponse, message); }

JsonPtr parsed_object(std::string_view text, const char* what) {
  JsonPtr doc = json_parse(text);
  if (!doc || !cJSON_IsObject(doc.get())) unusable(std::string(what) + " is not a JSON object");
  return doc;
}

// Sets `holder`[name] to `value`, in place of what is there (keeping its position) or added last.
void set_member(cJSON* holder, const char* name, JsonPtr value) {
  if (!value) throw std::bad_alloc();
  if (cJSON_GetObjectItemCaseSensitive(holder, name) == nullptr) {
    json_add(holder, name, std::move(value));
    return;
  }
  if (!cJSON_ReplaceItemInObjectCaseSensitive(holder, name, value.get())) throw std::bad_alloc();
  value.release();  // owned by `holder` now
}

void set_annotation(cJSON* holder, const char* key, const std::string& value) {
  cJSON* annotations = cJSON_GetObjectItemCaseSensitive(holder, "annotations");
  if (annotations == nullptr) annotations = json_add(holder, "annotations", json_new_object());
  if (!cJSON_IsObject(annotations)) unusable("a manifest whose annotations are not an object");
  set_member(annotations, key, JsonPtr(cJSON_CreateString(value.c_str())));
}

std::string size_text(std::int64_t size) { return size >= 0 ? human_size(size) : "size unknown"; }

// The h1: of the zip `package` names, streamed out of `repository` into a temporary file (the
// target checks its digest), with a progress bar labelled `label`.
std::string downloaded_h1(ArtifactTarget& target, const std::string& repository, const PlatformPackage& package,
                          const std::string& label, PushReporter& reporter) {
  TempFile file(".zip");
  UniqueFd fd(::open(file.path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) throw Error(ErrorKind::kUnreachable, file.path() + ": " + std::strerror(errno));
  std::int64_t received = 0;
  int write_error = 0;
  reporter.upload_started(label, package.size);
  try {
    target.stream_blob(repository, package.digest, [&](std::string_view chunk) {
      if (!write_all(fd.get(), chunk)) {
        write_error = errno;
        return false;  // stops the download; reported below
      }
      received += static_cast<std::int64_t>(chunk.size());
      reporter.upload_progress(received);
      return true;
    });
  } catch (...) {
    reporter.upload_finished();
    throw;
  }
  reporter.upload_finished();
  if (write_error == 0 && ::close(fd.release()) != 0) write_error = errno;
  if (write_error != 0) throw Error(ErrorKind::kUnreachable, file.path() + ": " + std::strerror(write_error));
  if (package.size >= 0 && received != package.size)
    unusable(label + ": the layer says " + std::to_string(package.size) + " bytes, the blob " + package.digest +
             " has " + std::to_string(received));
  try {
    return package_h1(file.path());
  } catch (const PackageError& e) {
    throw PackageError(label + ": the package " + package.digest + " is not a provider zip (" + e.what() + ")");
  }
}

}  // namespace

std::string manifest_with_h1(std::string_view manifest, const std::string& h1) {
  JsonPtr doc = parsed_object(manifest, "the platform manifest");
  cJSON* layers = cJSON_GetObjectItemCaseSensitive(doc.get(), "layers");
  if (!cJSON_IsArray(layers)) unusable("the platform manifest has no layers");
  cJSON* zip = nullptr;
  cJSON* layer = nullptr;
  cJSON_ArrayForEach(layer, layers) {
    if (json_string(layer, "mediaType").value_or("") != kZipLayerMediaType) continue;
    if (zip != nullptr) unusable("the platform manifest has more than one archive/zip layer");
    zip = layer;
  }
  if (zip == nullptr) unusable("the platform manifest has no archive/zip layer");
  set_annotation(zip, kH1Annotation, h1);
  set_annotation(doc.get(), kH1Annotation, h1);
  return json_print(doc.get());
}

std::string index_with_replaced(std::string_view index, const std::map<std::string, Descriptor>& replaced) {
  JsonPtr doc = parsed_object(index, "the release index");
  cJSON* manifests = cJSON_GetObjectItemCaseSensitive(doc.get(), "manifests");
  if (!cJSON_IsArray(manifests)) unusable("the release index has no manifests list");
  cJSON* descriptor = nullptr;
  cJSON_ArrayForEach(descriptor, manifests) {
    auto it = replaced.find(json_string(descriptor, "digest").value_or(""));
    if (it == replaced.end()) continue;
    const Descriptor& d = it->second;
    set_member(descriptor, "mediaType", JsonPtr(cJSON_CreateString(d.media_type.c_str())));
    set_member(descriptor, "digest", JsonPtr(cJSON_CreateString(d.digest.c_str())));
    set_member(descriptor, "size", JsonPtr(cJSON_CreateNumber(static_cast<double>(d.size))));
  }
  return json_print(doc.get());
}

HashesOutcome add_provider_hashes(ArtifactTarget& target, const std::string& repository,
                                  const ProviderAddress& address, const std::string& version,
                                  PushReporter& reporter) {
  auto parsed = parse_version(version);
  if (!parsed) throw InputError("\"" + version + "\" is not a version (semver, like 1.2.0)");
  const std::string tag = version_to_tag(*parsed);
  const std::string where = target.location(repository) + ":" + tag;
  const std::string what = address.to_string() + " " + version;

  std::optional<FetchedManifest> top = target.manifest_by_tag(repository, tag);
  if (!top) throw Error(ErrorKind::kNotFound, what + " is not published at " + where);
  ReleaseManifest release;
  try {
    release = parse_release_manifest(top->body, top->media_type);
  } catch (const Error& e) {
    unusable(where + ": " + e.what());
  }
  if (release.layout == ReleaseManifest::Layout::kLegacy)
    unusable(what + " at " + where + " is in the original Go tool's layout (one manifest whose layers list their "
             "platforms), which has no platform manifests to carry h1:; push hashes works on OpenTofu's layout, the "
             "one push provider writes");
  if (release.platform_manifests.empty())
    unusable(what + " at " + where + ": the index names no platform manifest (artifactType " +
             kProviderTargetArtifactType + ")");

  std::map<std::string, Descriptor> replaced;  // old platform manifest digest -> the new one
  std::size_t carried = 0;
  for (const PlatformManifestRef& ref : release.platform_manifests) {
    const std::string platform = ref.os + "_" + ref.arch;
    if (auto done = replaced.find(ref.digest); done != replaced.end()) {
      reporter.line("  " + platform + "  the same manifest as a platform above  h1 added");
      continue;
    }
    FetchedManifest old = target.manifest_by_digest(repository, ref.digest);
    PlatformPackage package = parse_platform_manifest(old.body, ref);
    if (!package.h1.empty()) {
      reporter.line("  " + platform + "  " + size_text(package.size) + "  already carries " + package.h1);
      ++carried;
      continue;
    }
    const std::string h1 = downloaded_h1(target, repository, package, platform, reporter);
    const std::string body = manifest_with_h1(old.body, h1);
    const std::string media_type = json_string(parsed_object(old.body, "the platform manifest").get(), "mediaType")
                                       .value_or(old.media_type.empty() ? kManifestMediaType : old.media_type);
    Descriptor d{media_type, "sha256:" + sha256_hex(body), static_cast<std::int64_t>(body.size())};
    target.put_manifest(repository, d.digest, d.media_type, body);
    replaced.emplace(ref.digest, d);
    reporter.line("  " + platform + "  " + size_text(package.size) + "  h1 added  " + h1);
  }
  if (replaced.empty()) {
    reporter.line("every platform of " + what + " at " + where + " already carries its h1: hash; nothing to do");
    return HashesOutcome::kUnchanged;
  }

  const std::string index = index_with_replaced(top->body, replaced);
  const std::string index_type = json_string(parsed_object(top->body, "the release index").get(), "mediaType")
                                     .value_or(top->media_type.empty() ? kIndexMediaType : top->media_type);
  // The tag is read again right before it is written: a release changed meanwhile is not replaced
  // with an index made from what it was.
  std::optional<FetchedManifest> now = target.manifest_by_tag(repository, tag);
  if (!now || now->digest != top->digest)
    throw PublishConflict(what + " at " + where + " changed while push hashes ran (the tag named " + top->digest +
                          ", now " + (now ? now->digest : std::string("nothing")) +
                          "); the new index was not tagged: run push hashes again");
  target.put_manifest(repository, tag, index_type, index);
  const std::size_t added = release.platform_manifests.size() - carried;
  reporter.line("added h1: to " + std::to_string(added) + " platform" + (added == 1 ? "" : "s") + " of " + what +
                (carried == 0 ? std::string() : " (" + std::to_string(carried) + " carried it already)") + " at " +
                where + " @sha256:" + sha256_hex(index));
  return HashesOutcome::kAdded;
}

}  // namespace otr
