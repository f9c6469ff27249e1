#include "publish/provider_publish.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "base/error.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "oci/manifests.h"
#include "terraform/package_hash.h"
#include "terraform/package_names.h"
#include "terraform/release.h"
#include "terraform/versions.h"

namespace otr {

namespace {


std::string short_digest(const std::string& digest) { return digest.substr(0, 19); }

// The packages a tag holds now, as (os_arch, zip digest); nullopt when the tag holds something
// that is not an OpenTofu provider release.
std::optional<std::vector<std::pair<std::string, std::string>>> existing_packages(ArtifactTarget& target,
                                                                                  const std::string& repository,
                                                                                  const FetchedManifest& top) {
  ReleaseManifest release;
  try {
    release = parse_release_manifest(top.body, top.media_type);
  } catch (const Error&) {
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const PlatformPackage& p : release.packages) out.emplace_back(p.os + "_" + p.arch, p.digest);
  for (const PlatformManifestRef& ref : release.platform_manifests) {
    FetchedManifest m = target.manifest_by_digest(repository, ref.digest);
    try {
      PlatformPackage p = parse_platform_manifest(m.body, ref);
      out.emplace_back(p.os + "_" + p.arch, p.digest);
    } catch (const Error&) {
      out.emplace_back(ref.os + "_" + ref.arch, "(unreadable manifest " + ref.digest + ")");
    }
  }
  return out;
}

}  // namespace

std::vector<ProviderPackage> check_provider_packages(const ProviderAddress& address, const std::string& version,
                                                     const std::vector<std::string>& zip_paths) {
  if (zip_paths.empty()) throw InputError("no package given: name at least one terraform-provider-*.zip");
  std::vector<ProviderPackage> packages;
  std::map<std::string, std::string> platforms;  // os_arch -> path
  for (const std::string& path : zip_paths) {
    PackageFileName name = parse_package_file_name(path);
    if (to_lower(name.type) != address.type)
      throw InputError("\"" + path + "\" is a package of provider type \"" + name.type + "\", not \"" + address.type +
                       "\" (" + address.to_string() + ")");
    if (name.version != version)
      throw InputError("\"" + path + "\" is a package of version " + name.version + ", not " + version);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw InputError("\"" + path + "\": no such file");
    if (!S_ISREG(st.st_mode)) throw InputError("\"" + path + "\" is not a regular file");
    auto [it, fresh] = platforms.emplace(name.platform(), path);
    if (!fresh)
      throw InputError("platform " + name.platform() + " is given twice: \"" + it->second + "\" and \"" + path + "\"");
    ProviderPackage p;
    p.path = path;
    p.file_name = package_file_name(name.type, name.version, name.os, name.arch);
    p.os = name.os;
    p.arch = name.arch;
    packages.push_back(std::move(p));
  }
  std::sort(packages.begin(), packages.end(), [](const ProviderPackage& a, const ProviderPackage& b) {
    return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
  });
  return packages;
}

void hash_provider_packages(std::vector<ProviderPackage>& packages) {
  for (ProviderPackage& p : packages) {
    FileDigest d = file_sha256(p.path);
    p.digest = d.digest;
    p.size = d.size;
    p.h1 = package_h1(p.path);
  }
}

std::string created_time(const Clock& clock) {
  std::int64_t t = clock.unix_now();
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    long long value = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && value >= 0 && value <= kLastRfc3339Second) t = value;
  }
  return rfc3339_utc(t);
}

std::vector<std::string> release_differences(const std::vector<std::pair<std::string, std::string>>& existing,
                                             const std::vector<ProviderPackage>& packages) {
  std::map<std::string, std::string> ours;
  for (const ProviderPackage& p : packages) ours[p.os + "_" + p.arch] = p.digest;
  std::map<std::string, std::string> theirs(existing.begin(), existing.end());
  std::vector<std::string> out;
  for (const auto& [platform, digest] : theirs) {
    auto it = ours.find(platform);
    if (it == ours.end())
      out.push_back(platform + ": published, but not in this push");
    else if (it->second != digest)
      out.push_back(platform + ": published package " + short_digest(digest) + "..., this push has " +
                    short_digest(it->second) + "...");
  }
  for (const auto& [platform, digest] : ours)
    if (!theirs.count(platform)) out.push_back(platform + ": not published yet, in this push");
  return out;
}

std::string put_blob_reported(ArtifactTarget& target, const std::string& repository, const BlobUpload& blob,
                              const std::string& label, PushReporter& reporter) {
  bool started = false;
  ProgressCallback progress = [&](std::int64_t sent) {
    if (!started) {
      reporter.upload_started(label, blob.size);
      started = true;
    }
    reporter.upload_progress(sent);
  };
  std::string from;
  BlobOutcome outcome;
  try {
    outcome = target.put_blob(repository, blob, progress, &from);
  } catch (...) {
    if (started) reporter.upload_finished();
    throw;
  }
  if (started) reporter.upload_finished();
  switch (outcome) {
    case BlobOutcome::kPresent: return "already present";
    case BlobOutcome::kMounted: return "mounted from " + from;
    case BlobOutcome::kUploaded: break;
  }
  return "uploaded";
}

PublishOutcome publish_provider_release(ArtifactTarget& target, const std::string& repository,
                                        const ProviderAddress& address, const std::string& version,
                                        const std::vector<ProviderPackage>& packages,
                                        const PublishSettings& settings, PushReporter& reporter) {
  auto parsed = parse_version(version);
  if (!parsed) throw InputError("\"" + version + "\" is not a version (semver, like 1.2.0)");
  const std::string tag = version_to_tag(*parsed);
  const std::string where = target.location(repository) + ":" + tag;
  const std::string what = address.to_string() + " " + version;

  PublishOutcome outcome = PublishOutcome::kPublished;
  if (std::optional<FetchedManifest> existing = target.manifest_by_tag(repository, tag)) {
    auto held = existing_packages(target, repository, *existing);
    std::vector<std::string> differences =
        held ? release_differences(*held, packages)
             : std::vector<std::string>{"the tag names something that is not an OpenTofu provider release"};
    if (differences.empty()) {
      reporter.line(what + " is already published with identical packages at " + where + "; nothing to do");
      return PublishOutcome::kUnchanged;
    }
    if (!settings.force) {
      std::string message = what + " is already published at " + where + " with different content:";
      for (const std::string& d : differences) message += "\n  " + d;
      message += "\nA published version should never change (lock files record its hashes). "
                 "Publish a new version, or give --force to replace it.";
      throw PublishConflict(message);
    }
    outcome = PublishOutcome::kReplaced;
  }

  const std::string& created = settings.created;
  put_blob_reported(target, repository, BlobUpload{kEmptyConfigDigest, 2, "", kEmptyConfigData}, "config", reporter);

  std::vector<PlatformEntry> entries;
  for (const ProviderPackage& p : packages) {
    std::string platform = p.os + "_" + p.arch;
    std::string result = put_blob_reported(target, repository, BlobUpload{p.digest, p.size, p.path, ""}, platform,
                                           reporter);
    Annotations layer_annotations = {{kTitleAnnotation, p.file_name}, {kH1Annotation, p.h1}};
    Annotations annotations = {{kH1Annotation, p.h1},
                               {kTitleAnnotation, p.file_name},
                               {kVersionAnnotation, version},
                               {kCreatedAnnotation, created},
                               {kSourceAnnotation, settings.source}};
    std::string manifest = zip_artifact_manifest(kProviderTargetArtifactType, {kZipLayerMediaType, p.digest, p.size},
                                                 layer_annotations, annotations);
    Descriptor d{kManifestMediaType, "sha256:" + sha256_hex(manifest), static_cast<std::int64_t>(manifest.size())};
    target.put_manifest(repository, d.digest, kManifestMediaType, manifest);
    entries.push_back({p.os, p.arch, d});
    reporter.line("  " + platform + "  " + p.file_name + "  " + human_size(p.size) + "  " + result + "  " + p.h1);
  }
  std::string index = platform_index(
      kProviderArtifactType, kProviderTargetArtifactType,
      entries, {{kVersionAnnotation, version},
                {kCreatedAnnotation, created},
                {kSourceAnnotation, settings.source},
                {kProtocolsAnnotation, settings.protocols}});
  target.put_manifest(repository, tag, kIndexMediaType, index);
  reporter.line((outcome == PublishOutcome::kReplaced ? "replaced " : "published ") + what + " (" +
                std::to_string(packages.size()) + " platform" + (packages.size() == 1 ? "" : "s") + ") at " + where +
                " @sha256:" + sha256_hex(index));
  return outcome;
}

}  // namespace otr
