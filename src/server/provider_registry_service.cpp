#include "server/provider_registry_service.h"

#include <algorithm>

#include "base/error.h"
#include "base/names.h"
#include "base/sha256.h"
#include "http/responses.h"
#include "server/sealed_download.h"
#include "terraform/documents.h"
#include "terraform/package_names.h"
#include "terraform/release.h"

namespace otr {

namespace {

constexpr const char* kShasumsFile = "SHA256SUMS";
constexpr const char* kSignatureFile = "SHA256SUMS.sig";
constexpr const char* kNoSuchProvider = "no such provider or version in this registry";
constexpr std::size_t kMaxPublisherFile = 1u << 20;  // SHA256SUMS, signature or public key from OCI

}  // namespace

struct ProviderRegistryService::Checksums {
  std::string shasums;
  std::string signature;
  std::string key_id;
  std::string public_key;
};

ProviderRegistryService::ProviderRegistryService(const ProviderRegistryConfig& config, const ServiceContext& context)
    : OriginService(config, context),
      registry_(config),
      signer_(std::make_unique<OpenPgpSigner>(config.signing_key_file, config.signing_key_passphrase)) {
  if (config.upstream.enabled()) pull_ = std::make_unique<PullThrough>(config, context.clock, context.transport, context.upstream_slots);
}

void ProviderRegistryService::serve(const Request& request, const ServicePath& path, ResponseSink& sink,
                                     RequestStats& stats) const {
  const std::vector<std::string>& s = path.segments;
  const bool versions = s.size() == 3 && s[2] == "versions";
  const bool download = s.size() == 6 && s[3] == "download";
  const bool sums = s.size() == 4 && (s[3] == kShasumsFile || s[3] == kSignatureFile);
  if (path.trailing_slash || !(versions || download || sums))
    return send(sink, json_error(404, "not a provider registry path; expected <namespace>/<type>/versions or "
                                      "<namespace>/<type>/<version>/download/<os>/<arch>"));
  std::optional<ProviderAddress> address =
      provider_address(registry_.hostname.empty() ? kDefaultProviderHost : registry_.hostname, s[0], s[1]);
  if (!address)
    return send(sink, json_error(404, "no such provider: \"" + s[0] + "/" + s[1] +
                                          "\" is not a provider address this registry can hold"));
  const std::string repository = naming_.provider(*address);
  if (versions) return serve_versions(request, *address, repository, sink, stats);
  if (download) return serve_download(request, *address, repository, s[2], s[4], s[5], sink, stats);
  serve_checksums(request, *address, repository, s[2], s[3] == kSignatureFile, sink, stats);
}

void ProviderRegistryService::serve_versions(const Request& request, const ProviderAddress& address,
                                             const std::string& repository, ResponseSink& sink,
                                             RequestStats& stats) const {
  ReleaseReader reader = releases(request.headers.get("Authorization"), stats);
  std::vector<Version> stored = reader.versions(repository).value_or(std::vector<Version>{});
  std::vector<ReleaseSummary> summaries = reader.summaries(repository, stored);
  if (pull_ && pull_->serves(address)) {
    PullThrough::Offer upstream = pull_->releases(address);
    if (upstream.busy) return send(sink, PullThrough::busy_response());
    if (upstream.releases) {
      std::vector<ReleaseSummary> more = PullThrough::upstream_only(stored, *upstream.releases);
      summaries.insert(summaries.end(), more.begin(), more.end());
      std::sort(summaries.begin(), summaries.end(), [](const ReleaseSummary& a, const ReleaseSummary& b) {
        return compare_versions(a.version, b.version) < 0;
      });
    }
  }
  if (summaries.empty()) return send(sink, json_error(404, kNoSuchProvider));
  std::string body = provider_versions_document(summaries);
  send(sink, json_document(request, std::move(body), context_.server.tags_cache_ttl));
}

ProviderRegistryService::Checksums ProviderRegistryService::checksums(ReleaseReader& reader,
                                                                      const ProviderAddress& address,
                                                                      const std::string& repository,
                                                                      const Release& release, const Version& version,
                                                                      RequestStats& stats) const {
  Checksums out;
  MetadataCache& cache = context_.cache;
  if (!release.shasums_manifest.empty()) {
    // The publisher's own signed checksums: served as they are, with the publisher's key.
    SignedShasumsRef ref = parse_shasums_manifest(*reader.manifest_by_digest(repository, release.shasums_manifest));
    out.shasums = reader.small_blob(repository, ref.shasums_digest, kMaxPublisherFile);
    out.signature = reader.small_blob(repository, ref.signature_digest, kMaxPublisherFile);
    out.public_key = reader.small_blob(repository, ref.public_key_digest, kMaxPublisherFile);
    std::string id_key = "key id\n" + ref.public_key_digest;
    if (auto hit = cache.manifest(id_key)) {
      out.key_id = *hit;
    } else {
      out.key_id = signer_->key_id_of(out.public_key);
      cache.put_manifest(id_key, out.key_id);
    }
    return out;
  }
  out.shasums = make_shasums(address.type, version, release.packages);
  out.key_id = signer_->key_id();
  out.public_key = signer_->public_key_armored();
  // Signatures are kept per checksums file and key: identical for every caller, so not per identity.
  std::string key = "signature\n" + signer_->fingerprint() + "\n" + sha256_hex(out.shasums);
  if (auto hit = cache.manifest(key)) {
    ++stats.cache_hits;
    out.signature = *hit;
  } else {
    out.signature = signer_->sign(out.shasums);
    cache.put_manifest(key, out.signature);
  }
  return out;
}

void ProviderRegistryService::serve_download(const Request& request, const ProviderAddress& address,
                                             const std::string& repository, const std::string& version_text,
                                             const std::string& os, const std::string& arch, ResponseSink& sink,
                                             RequestStats& stats) const {
  std::optional<Version> version = version_in_path(version_text, sink);
  if (!version) return;
  std::string authorization = request.headers.get("Authorization");
  ReleaseReader reader = releases(authorization, stats);
  std::optional<Release> release = reader.release(repository, *version);
  if (!release && pull_ && pull_->serves(address)) {
    PullThrough::Found found = pull_->find_or_import(reader, address, repository, *version);
    if (found.pending) return send(sink, PullThrough::pending_response(address, *version));
    if (found.busy) return send(sink, PullThrough::busy_response());
    release = std::move(found.release);
  }
  if (!release) return send(sink, json_error(404, kNoSuchProvider));
  auto package = std::find_if(release->packages.begin(), release->packages.end(),
                              [&](const PlatformPackage& p) { return p.os == os && p.arch == arch; });
  if (package == release->packages.end())
    return send(sink, json_error(404, "version " + version->to_string() + " has no package for " + os + "_" + arch));
  if (sha256_hex_of(package->digest).empty())
    throw Error(ErrorKind::kBadResponse, repository + " " + version->to_string() + " " + os + "_" + arch +
                                             ": the package is stored under a " +
                                             package->digest.substr(0, package->digest.find(':')) +
                                             " digest; the provider registry protocol needs its sha256 (publish it "
                                             "again with push)");
  Checksums sums = checksums(reader, address, repository, *release, *version, stats);

  ProviderDownload d;
  d.protocols = release->protocols;
  d.os = os;
  d.arch = arch;
  d.filename = package_file_name(address.type, version->to_string(), os, arch);
  const bool proxied = proxies_downloads();
  const std::int64_t expires_at = sealed_expiry();
  d.download_url = proxied ? sealed_package_path(request, repository, package->digest, d.filename, expires_at)
                           : reader.origin().blob_url(repository, package->digest);
  // Relative to this document's URL (.../<version>/download/<os>/<arch>), as clients resolve them.
  // Clients fetch them without credentials: a caller's Authorization rides sealed in the query.
  std::string query;
  if (!authorization.empty() && context_.sealer != nullptr)
    query = "?token=" + context_.sealer->seal({TokenPurpose::kChecksums, name(), repository, release->digest,
                                               expires_at, authorization});
  d.shasums_url = "../../" + std::string(kShasumsFile) + query;
  d.shasums_signature_url = "../../" + std::string(kSignatureFile) + query;
  d.shasum = sha256_hex_of(package->digest);
  d.key_id = sums.key_id;
  d.public_key_armored = sums.public_key;
  if (!package->h1.empty()) d.hashes.push_back(package->h1);
  d.hashes.push_back("zh:" + d.shasum);
  d.packages = release->packages;  // OpenTofu's "packages": every platform's hashes and size
  std::string body = provider_download_document(d);
  std::string etag_source = identity_key(authorization) + "\n" + (proxied ? std::to_string(expires_at) : "direct") +
                            "\n" + release->digest + "\n" + sha256_hex(sums.shasums) + sums.key_id + "\n" + os + arch;
  send(sink, json_document(request, std::move(body), etag_source, context_.server.tags_cache_ttl));
}

void ProviderRegistryService::serve_checksums(const Request& request, const ProviderAddress& address,
                                              const std::string& repository, const std::string& version_text,
                                              bool signature, ResponseSink& sink, RequestStats& stats) const {
  std::optional<Version> version = version_in_path(version_text, sink);
  if (!version) return;
  std::string authorization = request.headers.get("Authorization");
  std::string sealed;  // the release digest a token was issued for
  if (std::string token = query_param(request.query, "token"); !token.empty() && context_.sealer != nullptr) {
    TokenSealer::Opened opened = context_.sealer->open(token, TokenPurpose::kChecksums, context_.clock.unix_now());
    if (!opened.grant || opened.grant->service != name() || opened.grant->repository != repository)
      return send(sink, json_error(403, opened.error == TokenError::kExpired
                                            ? "this link has expired; ask the registry again"
                                            : "this link is not valid"));
    authorization = opened.grant->authorization;  // the caller's, sealed in the URL
    sealed = opened.grant->digest;
  }
  ReleaseReader reader = releases(authorization, stats);
  std::optional<Release> release = reader.release(repository, *version);
  if (!release) return send(sink, json_error(404, kNoSuchProvider));
  if (!sealed.empty() && sealed != release->digest) return send(sink, json_error(403, "this link is not valid"));
  Checksums sums = checksums(reader, address, repository, *release, *version, stats);
  Response r;
  r.body = signature ? sums.signature : sums.shasums;
  r.headers.set("Content-Type", signature ? "application/octet-stream" : "text/plain; charset=utf-8");
  r.headers.set("Cache-Control", authorization.empty() ? "public, max-age=300" : "private, max-age=300");
  r.headers.set("ETag", "\"" + sha256_hex(r.body) + "\"");
  send(sink, r);
}

}  // namespace otr
