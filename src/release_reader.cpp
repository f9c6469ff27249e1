#include "release_reader.h"

#include <algorithm>
#include <tuple>

#include "sha256.h"

namespace otr {

ReleaseReader::ReleaseReader(OciReader& client, MetadataCache& cache, std::string cache_prefix, RequestStats& stats)
    : client_(client), cache_(cache), prefix_(std::move(cache_prefix)), stats_(stats) {}

std::vector<Version> ReleaseReader::versions(const std::string& repository) {
  std::string key = repo_key(repository);
  auto tags = cache_.tags(key);
  if (tags) {
    ++stats_.cache_hits;
  } else {
    std::vector<std::string> fetched = client_.list_tags(repository);
    cache_.put_tags(key, fetched);
    tags = std::make_shared<const std::vector<std::string>>(std::move(fetched));
  }
  std::vector<Version> out;
  for (const std::string& tag : *tags)
    if (auto v = version_from_tag(tag)) out.push_back(std::move(*v));
  std::sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return compare_versions(a, b) < 0; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Version& a, const Version& b) { return compare_versions(a, b) == 0; }),
            out.end());
  return out;
}

std::vector<std::shared_ptr<const std::string>> ReleaseReader::manifests(const std::string& repository,
                                                                         const std::vector<std::string>& references) {
  const std::string key = repo_key(repository);
  std::vector<std::shared_ptr<const std::string>> bodies(references.size());
  std::vector<std::string> missing;
  std::vector<size_t> missing_at;
  for (size_t i = 0; i < references.size(); ++i) {
    const std::string& ref = references[i];
    std::optional<std::string> digest = ref.starts_with("sha256:") ? std::optional(ref) : cache_.tag_digest(key + ":" + ref);
    if (digest) bodies[i] = cache_.manifest(key + "@" + *digest);
    if (bodies[i]) {
      ++stats_.cache_hits;
    } else {
      missing.push_back(ref);
      missing_at.push_back(i);
    }
  }
  if (missing.empty()) return bodies;
  std::vector<FetchedManifest> fetched = missing.size() == 1
                                             ? std::vector<FetchedManifest>{client_.get_manifest(repository, missing[0])}
                                             : client_.get_manifests(repository, missing);
  for (size_t j = 0; j < fetched.size(); ++j) {
    if (!missing[j].starts_with("sha256:")) cache_.put_tag_digest(key + ":" + missing[j], fetched[j].digest);
    bodies[missing_at[j]] = std::make_shared<const std::string>(fetched[j].body);
    cache_.put_manifest(key + "@" + fetched[j].digest, std::move(fetched[j].body));
  }
  return bodies;
}

std::vector<ReleaseSummary> ReleaseReader::summaries(const std::string& repository,
                                                     const std::vector<Version>& versions) {
  std::vector<std::string> tags;
  for (const Version& v : versions) tags.push_back(version_to_tag(v));
  auto bodies = manifests(repository, tags);
  std::vector<ReleaseSummary> out;
  for (size_t i = 0; i < versions.size(); ++i) {
    ReleaseManifest m = parse_release_manifest(*bodies[i], "");
    ReleaseSummary s{versions[i], {}, m.protocols};
    for (const auto& p : m.platform_manifests) s.platforms.emplace_back(p.os, p.arch);
    for (const auto& p : m.packages) s.platforms.emplace_back(p.os, p.arch);
    std::sort(s.platforms.begin(), s.platforms.end());
    s.platforms.erase(std::unique(s.platforms.begin(), s.platforms.end()), s.platforms.end());
    out.push_back(std::move(s));
  }
  return out;
}

Release ReleaseReader::release(const std::string& repository, const Version& version) {
  std::string tag = version_to_tag(version);
  auto top = manifests(repository, {tag})[0];
  ReleaseManifest m = parse_release_manifest(*top, "");
  Release out;
  out.digest = "sha256:" + sha256_hex(*top);  // what the registry verified it by
  out.protocols = m.protocols;
  out.shasums_manifest = m.shasums_manifest;
  out.packages = std::move(m.packages);
  if (!m.platform_manifests.empty()) {
    std::vector<std::string> digests;
    for (const auto& p : m.platform_manifests) digests.push_back(p.digest);
    auto bodies = manifests(repository, digests);
    for (size_t i = 0; i < bodies.size(); ++i) out.packages.push_back(parse_platform_manifest(*bodies[i], m.platform_manifests[i]));
  }
  std::sort(out.packages.begin(), out.packages.end(), [](const PlatformPackage& a, const PlatformPackage& b) {
    return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
  });
  return out;
}

}  // namespace otr
