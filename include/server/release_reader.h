// Reads releases (provider releases, module versions) out of an origin for one service and one
// caller, through the worker's MetadataCache: tag lists and tag -> digest for a short TTL, manifests
// and small blobs by digest for good. Cache keys start with `cache_prefix`, which names the service
// and the caller (see service_cache_prefix()), so answers are never shared between callers with
// different credentials. Shared by the mirror and both registry services.
//
// "Is it there?" is answered with values (nullopt: no such repository, no such version); other
// failures are thrown as Error. The work one request can cause is bounded: manifests are read at
// most kReleaseManifestLimit bytes each (release indexes, platform and module manifests are a few
// KB), summaries() fetches them kSummaryBatch at a time, keeping only what it parsed, and a
// repository lists at most kMaxListedVersions versions (the newest).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/request_stats.h"
#include "oci/reader.h"
#include "server/metadata_cache.h"
#include "terraform/release.h"
#include "terraform/versions.h"

namespace otr {

inline constexpr std::size_t kReleaseManifestLimit = 64u << 10;
inline constexpr std::size_t kSummaryBatch = 16;
inline constexpr std::size_t kMaxListedVersions = 4096;
inline constexpr std::size_t kMaxReadmeZip = 8u << 20;
inline constexpr std::size_t kMaxReadme = 64u << 10;

// For one request. Not thread-safe (the cache it uses is).
class ReleaseReader {
 public:
  // `cache` and `stats` must outlive the reader.
  ReleaseReader(std::unique_ptr<OciReader> origin, MetadataCache& cache, std::string cache_prefix, RequestStats& stats);

  OciReader& origin() { return *origin_; }

  // Every tag of `repository` that is a version, ascending; the newest kMaxListedVersions of them
  // when there are more. nullopt when there is no such repository.
  std::optional<std::vector<Version>> versions(const std::string& repository);

  // What the release manifests of `versions` say, fetched kSummaryBatch at a time where not
  // cached. A version whose manifest is missing, too large or not a provider release is left out
  // (and logged): the others stay installable. Other failures are thrown.
  std::vector<ReleaseSummary> summaries(const std::string& repository, const std::vector<Version>& versions);

  // One release with its packages (platform manifests fetched concurrently where not cached);
  // nullopt when the version's tag does not exist.
  std::optional<Release> release(const std::string& repository, const Version& version);

  // The manifest a tag names (a module version's); null when the tag does not exist. `digest`,
  // when given, receives its "sha256:..." digest.
  std::shared_ptr<const std::string> tagged_manifest(const std::string& repository, const std::string& tag,
                                                     std::string* digest = nullptr);

  // A manifest that must exist, by digest (the publisher's checksums manifest).
  std::shared_ptr<const std::string> manifest_by_digest(const std::string& repository, const std::string& digest);

  // A page of the origin's repositories under `prefix` (OciReader::find_repositories), cached for
  // the tag TTL; nullopt when the origin has no catalog for this caller.
  std::optional<RepositoryPage> repositories(const std::string& prefix, const std::string& after, std::size_t limit);

  // What a module package's README.md says: read from the zip `zip_digest` (a package larger than
  // kMaxReadmeZip is not opened), at most kMaxReadme bytes, cached by digest for good.
  struct Readme {
    enum class State { kNone, kShown, kTooLarge, kUnreadable };
    State state = State::kNone;
    std::string text;
    bool truncated = false;
  };
  Readme module_readme(const std::string& repository, const std::string& zip_digest);

  // A small blob that must exist (a publisher's SHA256SUMS, signature or key), at most `limit`
  // bytes (kBadResponse beyond, without reading further), digest-checked, cached.
  std::string small_blob(const std::string& repository, const std::string& digest, std::size_t limit);

 private:
  std::string repo_key(const std::string& repository) const { return prefix_ + repository; }
  // Whether a cached answer may be used without asking the registry now (see release_reader.cpp).
  template <class T>
  bool usable_now(const MetadataCache::Aged<T>& aged, const std::string& key, bool refreshing);
  // Counts `answers` taken from the cache at `age` in the request's stats.
  void count_cached(const MetadataCache::Age& age, int answers = 1);
  // The manifests named by `references` (tags or digests), which must all exist, from the cache or
  // the origin.
  std::vector<std::shared_ptr<const std::string>> manifests(const std::string& repository,
                                                            const std::vector<std::string>& references);

  std::unique_ptr<OciReader> origin_;
  MetadataCache& cache_;
  std::string prefix_;
  RequestStats& stats_;
};

}  // namespace otr
