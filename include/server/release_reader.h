// Reads releases (provider releases, module versions) out of an origin for one service and one
// caller, through the worker's MetadataCache: tag lists and tag -> digest for a short TTL, manifests
// by digest for good. Cache keys start with `cache_prefix`, which names the service and the caller
// (see service_cache_prefix()), so answers are never shared between callers with different
// credentials. Shared by the mirror and both registry services. Failures are thrown as Error.
//
// The work one request can cause is bounded: manifests are read at most kReleaseManifestLimit bytes
// each (release indexes, platform and module manifests are a few KB), summaries() fetches them
// kSummaryBatch at a time, keeping only what it parsed, and a repository lists at most
// kMaxListedVersions versions (the newest).
#pragma once

#include <string>
#include <vector>

#include "server/metadata_cache.h"
#include "oci/reader.h"
#include "terraform/release.h"
#include "http/request_stats.h"
#include "terraform/versions.h"

namespace otr {

inline constexpr std::size_t kReleaseManifestLimit = 64u << 10;
inline constexpr std::size_t kSummaryBatch = 16;
inline constexpr std::size_t kMaxListedVersions = 4096;

class ReleaseReader {
 public:
  ReleaseReader(OciReader& client, MetadataCache& cache, std::string cache_prefix, RequestStats& stats);

  // Every tag of `repository` that is a version, ascending; the newest kMaxListedVersions of them
  // when there are more. kNotFound for an unknown repository.
  std::vector<Version> versions(const std::string& repository);

  // What the release manifests of `versions` say, fetched kSummaryBatch at a time where not
  // cached. A version whose manifest is missing, too large or not a provider release is left out
  // (and logged): the others stay installable. Other failures are thrown.
  std::vector<ReleaseSummary> summaries(const std::string& repository, const std::vector<Version>& versions);

  // One release with its packages (platform manifests fetched concurrently where not cached).
  Release release(const std::string& repository, const Version& version);

  // The manifest a tag or digest names (a module version's, or the publisher's checksums).
  std::shared_ptr<const std::string> manifest(const std::string& repository, const std::string& reference) {
    return manifests(repository, {reference})[0];
  }

 private:
  std::string repo_key(const std::string& repository) const { return prefix_ + repository; }
  // The manifests named by `references` (tags or digests) from the cache or the registry.
  std::vector<std::shared_ptr<const std::string>> manifests(const std::string& repository,
                                                            const std::vector<std::string>& references);

  OciReader& client_;
  MetadataCache& cache_;
  std::string prefix_;
  RequestStats& stats_;
};

}  // namespace otr
