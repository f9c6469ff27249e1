#include "server/release_reader.h"

#include <algorithm>
#include <tuple>

#include "base/error.h"
#include "base/log.h"
#include "base/names.h"

namespace otr {

ReleaseReader::ReleaseReader(std::unique_ptr<OciReader> origin, MetadataCache& cache, std::string cache_prefix,
                             RequestStats& stats)
    : origin_(std::move(origin)), cache_(cache), prefix_(std::move(cache_prefix)), stats_(stats) {}

namespace {

using Freshness = MetadataCache::Freshness;

// A failure of the registry itself, which a stale answer may cover; never a refusal (401, 403) or
// an absence (404), which are answers.
bool is_outage(const Error& e) {
  return e.kind() == ErrorKind::kUnreachable || e.kind() == ErrorKind::kTimeout || e.kind() == ErrorKind::kBadResponse;
}

}  // namespace

std::optional<std::vector<Version>> ReleaseReader::versions(const std::string& repository) {
  std::string key = repo_key(repository);
  MetadataCache::Aged<std::vector<std::string>> cached = cache_.aged_tags(key);
  std::shared_ptr<const std::vector<std::string>> tags;
  if (cached.value && (cached.freshness == Freshness::kFresh || cache_.recent_failure(key) ||
                       (cached.freshness == Freshness::kRevalidate && cache_.tag_calls().running(key)))) {
    // Fresh; or stale within stale_while_revalidate while another request refreshes it; or stale
    // while the registry has just failed.
    ++stats_.cache_hits;
    if (cached.freshness != Freshness::kFresh) ++stats_.stale;
    tags = cached.value;
  } else {
    try {
      bool joined = false;
      std::optional<std::vector<std::string>> fetched = cache_.tag_calls().run(
          key,
          [&] {
            std::optional<std::vector<std::string>> t = origin_->find_tags(repository);
            if (t) cache_.put_tags(key, *t);
            return t;
          },
          &joined);
      if (joined) ++stats_.shared;
      if (!fetched) return std::nullopt;
      tags = std::make_shared<const std::vector<std::string>>(std::move(*fetched));
    } catch (const Error& e) {
      if (!cached.value || !is_outage(e)) throw;
      cache_.put_failure(key);
      log_warning("serving the cached tag list of " + repository + " while the registry fails: " + e.what());
      ++stats_.cache_hits;
      ++stats_.stale;
      tags = cached.value;
    }
  }
  std::vector<Version> out;
  for (const std::string& tag : *tags)
    if (auto v = version_from_tag(tag)) out.push_back(std::move(*v));
  std::sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return compare_versions(a, b) < 0; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Version& a, const Version& b) { return compare_versions(a, b) == 0; }),
            out.end());
  if (out.size() > kMaxListedVersions) {
    log_warning(repository + " has " + std::to_string(out.size()) + " versions; only the newest " +
                std::to_string(kMaxListedVersions) + " are served");
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(kMaxListedVersions));
  }
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
    std::optional<std::string> digest = is_valid_digest(ref) ? std::optional(ref) : cache_.tag_digest(key + ":" + ref);
    if (digest) bodies[i] = cache_.manifest(key + "@" + *digest);
    if (bodies[i]) {
      ++stats_.cache_hits;
    } else {
      missing.push_back(ref);
      missing_at.push_back(i);
    }
  }
  if (missing.empty()) return bodies;
  std::vector<FetchedManifest> fetched;
  try {
    fetched = origin_->get_manifests(repository, missing, kReleaseManifestLimit);
  } catch (const Error& e) {
    // The registry fails: what is cached, however old (within stale_if_error), rather than nothing.
    if (!is_outage(e)) throw;
    for (size_t j = 0; j < missing.size(); ++j) {
      MetadataCache::Aged<std::string> d = cache_.aged_tag_digest(key + ":" + missing[j]);
      std::shared_ptr<const std::string> body = d.value ? cache_.manifest(key + "@" + *d.value) : nullptr;
      if (!body) throw;
      bodies[missing_at[j]] = body;
    }
    log_warning("serving cached manifests of " + repository + " while the registry fails: " + e.what());
    stats_.cache_hits += static_cast<int>(missing.size());
    stats_.stale += static_cast<int>(missing.size());
    return bodies;
  }
  for (size_t j = 0; j < fetched.size(); ++j) {
    // Cached by the digest it was asked by (verified against it), else by its sha256.
    const bool by_digest = is_valid_digest(missing[j]);
    if (!by_digest) cache_.put_tag_digest(key + ":" + missing[j], fetched[j].digest);
    bodies[missing_at[j]] = std::make_shared<const std::string>(fetched[j].body);
    cache_.put_manifest(key + "@" + (by_digest ? missing[j] : fetched[j].digest), std::move(fetched[j].body));
  }
  return bodies;
}

std::shared_ptr<const std::string> ReleaseReader::tagged_manifest(const std::string& repository, const std::string& tag,
                                                                  std::string* digest) {
  const std::string key = repo_key(repository);
  const std::string tag_key = key + ":" + tag;
  MetadataCache::Aged<std::string> cached = cache_.aged_tag_digest(tag_key);
  std::shared_ptr<const std::string> stale_body = cached.value ? cache_.manifest(key + "@" + *cached.value) : nullptr;
  const auto serve_cached = [&] {
    ++stats_.cache_hits;
    if (cached.freshness != Freshness::kFresh) ++stats_.stale;
    if (digest != nullptr) *digest = *cached.value;
    return stale_body;
  };
  if (stale_body && (cached.freshness == Freshness::kFresh || cache_.recent_failure(tag_key) ||
                     (cached.freshness == Freshness::kRevalidate && cache_.manifest_calls().running(tag_key))))
    return serve_cached();
  std::optional<FetchedManifest> fetched;
  try {
    bool joined = false;
    fetched = cache_.manifest_calls().run(
        tag_key,
        [&] {
          std::optional<FetchedManifest> f = origin_->find_manifest(repository, tag, kReleaseManifestLimit);
          if (f) {
            cache_.put_tag_digest(tag_key, f->digest);
            cache_.put_manifest(key + "@" + f->digest, f->body);
          }
          return f;
        },
        &joined);
    if (joined) ++stats_.shared;
  } catch (const Error& e) {
    if (!stale_body || !is_outage(e)) throw;
    cache_.put_failure(tag_key);
    log_warning("serving the cached manifest of " + repository + ":" + tag + " while the registry fails: " + e.what());
    return serve_cached();
  }
  if (!fetched) return nullptr;
  if (digest != nullptr) *digest = fetched->digest;
  return std::make_shared<const std::string>(std::move(fetched->body));
}

std::shared_ptr<const std::string> ReleaseReader::manifest_by_digest(const std::string& repository,
                                                                     const std::string& digest) {
  return manifests(repository, {digest})[0];
}

std::string ReleaseReader::small_blob(const std::string& repository, const std::string& digest, std::size_t limit) {
  const std::string key = repo_key(repository) + "@" + digest;
  if (auto hit = cache_.manifest(key)) {
    ++stats_.cache_hits;
    return *hit;
  }
  const auto too_large = [&] { return Error(ErrorKind::kBadResponse, "blob " + digest + " is larger than expected"); };
  std::string out;
  origin_->stream_blob(
      repository, digest,
      [&](const BlobInfo& info) {
        if (info.size > static_cast<std::int64_t>(limit)) throw too_large();
        return true;
      },
      [&](std::string_view chunk) {
        if (out.size() + chunk.size() > limit) throw too_large();
        out.append(chunk);
        return true;
      });
  cache_.put_manifest(key, out);
  return out;
}

namespace {

ReleaseSummary summarize(const Version& version, const std::string& body) {
  ReleaseManifest m = parse_release_manifest(body, "");
  ReleaseSummary s{version, {}, m.protocols};
  for (const auto& p : m.platform_manifests) s.platforms.emplace_back(p.os, p.arch);
  for (const auto& p : m.packages) s.platforms.emplace_back(p.os, p.arch);
  std::sort(s.platforms.begin(), s.platforms.end());
  s.platforms.erase(std::unique(s.platforms.begin(), s.platforms.end()), s.platforms.end());
  return s;
}

// A failure that concerns one version only: the listing goes on without it.
bool skippable(const Error& e) { return e.kind() == ErrorKind::kNotFound || e.kind() == ErrorKind::kBadResponse; }

}  // namespace

std::vector<ReleaseSummary> ReleaseReader::summaries(const std::string& repository,
                                                     const std::vector<Version>& versions) {
  std::vector<ReleaseSummary> out;
  std::vector<std::string> skipped;
  for (size_t start = 0; start < versions.size(); start += kSummaryBatch) {
    size_t end = std::min(versions.size(), start + kSummaryBatch);
    std::vector<std::string> tags;
    for (size_t i = start; i < end; ++i) tags.push_back(version_to_tag(versions[i]));
    std::vector<std::shared_ptr<const std::string>> bodies;
    try {
      bodies = manifests(repository, tags);
    } catch (const Error& e) {
      if (!skippable(e)) throw;
      bodies.clear();  // one of the batch failed: find out which, one at a time
      for (const std::string& tag : tags) {
        try {
          bodies.push_back(manifests(repository, {tag})[0]);
        } catch (const Error& one) {
          if (!skippable(one)) throw;
          bodies.push_back(nullptr);
          skipped.push_back(tag + " (" + one.what() + ")");
        }
      }
    }
    for (size_t i = start; i < end; ++i) {
      const auto& body = bodies[i - start];
      if (!body) continue;
      try {
        out.push_back(summarize(versions[i], *body));
      } catch (const Error& e) {
        skipped.push_back(tags[i - start] + " (" + e.what() + ")");
      }
    }
  }
  if (!skipped.empty()) {
    std::string list;
    for (size_t i = 0; i < skipped.size() && i < 5; ++i) list += (i == 0 ? "" : "; ") + skipped[i];
    log_warning(repository + ": " + std::to_string(skipped.size()) + " version(s) left out of the listing: " + list +
                (skipped.size() > 5 ? "; ..." : ""));
  }
  return out;
}

std::optional<Release> ReleaseReader::release(const std::string& repository, const Version& version) {
  Release out;
  auto top = tagged_manifest(repository, version_to_tag(version), &out.digest);
  if (!top) return std::nullopt;
  ReleaseManifest m = parse_release_manifest(*top, "");
  out.protocols = m.protocols;
  out.shasums_manifest = m.shasums_manifest;
  out.packages = std::move(m.packages);
  if (!m.platform_manifests.empty()) {
    std::vector<std::string> digests;
    for (const auto& p : m.platform_manifests) digests.push_back(p.digest);
    auto bodies = manifests(repository, digests);
    for (size_t i = 0; i < bodies.size(); ++i)
      out.packages.push_back(parse_platform_manifest(*bodies[i], m.platform_manifests[i]));
  }
  std::sort(out.packages.begin(), out.packages.end(), [](const PlatformPackage& a, const PlatformPackage& b) {
    return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
  });
  return out;
}

}  // namespace otr
