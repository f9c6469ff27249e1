#include "server/provider_registry_service.h"

#include <algorithm>
#include <ctime>

#include "base/log.h"
#include "base/names.h"
#include "terraform/naming.h"
#include "oci/origin.h"
#include "server/sealed_download.h"
#include "terraform/release.h"
#include "terraform/documents.h"
#include "http/responses.h"
#include "base/sha256.h"

namespace otr {

namespace {

constexpr const char* kShasumsFile = "SHA256SUMS";
constexpr const char* kSignatureFile = "SHA256SUMS.sig";
constexpr std::size_t kMaxPublisherFile = 1u << 20;  // SHA256SUMS, signature or public key from OCI

std::string zip_hex(const std::string& digest) { return digest.starts_with("sha256:") ? digest.substr(7) : ""; }

// A small blob (at most `limit` bytes) read whole, digest-checked by the client.
std::string read_small_blob(OciReader& client, const std::string& repository, const std::string& digest,
                            std::size_t limit) {
  std::string out;
  client.stream_blob(
      repository, digest,
      [&](const BlobInfo& info) {
        if (info.size > static_cast<std::int64_t>(limit))
          throw Error(ErrorKind::kBadResponse, "blob " + digest + " is larger than expected");
        return true;
      },
      [&](std::string_view chunk) {
        if (out.size() + chunk.size() > limit)
          throw Error(ErrorKind::kBadResponse, "blob " + digest + " is larger than expected");
        out.append(chunk);
        return true;
      });
  return out;
}

}  // namespace

struct ProviderRegistryService::Provider {
  std::string type;
  std::string repository;
};

struct ProviderRegistryService::Checksums {
  std::string shasums;
  std::string signature;
  std::string key_id;
  std::string public_key;
};

ProviderRegistryService::ProviderRegistryService(const ProviderRegistryConfig& config, const ServerConfig& server,
                                                 MetadataCache& cache, AuthCache& auth, const TokenSealer* sealer)
    : config_(config), endpoint_(endpoint_of(config)), server_(server), cache_(cache), auth_(auth), sealer_(sealer) {
  signer_ = std::make_unique<OpenPgpSigner>(config.signing_key_file, config.signing_key_passphrase);
}

void ProviderRegistryService::handle(const Request& request, const std::vector<std::string>& segments,
                                     bool trailing_slash, ResponseSink& sink, RequestStats& stats) const {
  if (segments.size() == 3 && segments[0] == kPackagesSegment && !trailing_slash)
    return serve_sealed_download(request, config_.name, segments[1], config_.proxy_packages ? sealer_ : nullptr,
                                 endpoint_, auth_, "application/zip", sink, stats);
  const bool versions = segments.size() == 3 && segments[2] == "versions";
  const bool download = segments.size() == 6 && segments[3] == "download";
  const bool sums = segments.size() == 4 && (segments[3] == kShasumsFile || segments[3] == kSignatureFile);
  if (trailing_slash || !(versions || download || sums))
    return send(sink, json_error(404, "not a provider registry path; expected <namespace>/<type>/versions or "
                                      "<namespace>/<type>/<version>/download/<os>/<arch>"));
  auto ns = provider_name_to_component(segments[0]);
  auto type = provider_name_to_component(segments[1]);
  if (!ns || !type)
    return send(sink, json_error(404, "no such provider: \"" + segments[0] + "/" + segments[1] +
                                          "\" is not a provider address this registry can hold"));
  std::string repository;
  if (config_.hostname.empty()) {
    repository = (config_.name_prefix.empty() ? "" : config_.name_prefix + "/") + *ns + "/" + *type;
  } else {
    repository = provider_repository(config_.name_prefix, *hostname_to_component(config_.hostname), *ns, *type);
  }
  Provider provider{*type, repository};
  try {
    if (versions) return serve_versions(request, provider, sink, stats);
    if (download) return serve_download(request, provider, segments[2], segments[4], segments[5], sink, stats);
    return serve_checksums(request, provider, segments[2], segments[3] == kSignatureFile, sink, stats);
  } catch (const Error& e) {
    return send(sink, e.kind() == ErrorKind::kNotFound ? json_error(404, "no such provider or version in this registry") : error_response(e, request, config_.name));
  } catch (const SigningError& e) {
    log_error(config_.name + ": " + e.what());
    return send(sink, json_error(503, "this registry cannot sign checksums right now"));
  }
}

void ProviderRegistryService::serve_versions(const Request& request, const Provider& provider, ResponseSink& sink,
                                             RequestStats& stats) const {
  std::string authorization = request.headers.get("Authorization");
  std::unique_ptr<OciReader> origin = open_origin(endpoint_, auth_, authorization, stats);
  OciReader& client = *origin;
  ReleaseReader reader(client, cache_, service_cache_prefix(config_.name, authorization), stats);
  std::vector<Version> versions = reader.versions(provider.repository);
  if (versions.empty()) return send(sink, json_error(404, "no such provider or version in this registry"));
  std::string body = provider_versions_document(reader.summaries(provider.repository, versions));
  std::string etag_source = body;
  send(sink, json_document(request, std::move(body), etag_source, server_.tags_cache_ttl));
}

ProviderRegistryService::Checksums ProviderRegistryService::checksums(OciReader& client, const Provider& provider,
                                                                      const std::string& prefix, const Release& release,
                                                                      const Version& version, RequestStats& stats) const {
  Checksums out;
  if (!release.shasums_manifest.empty()) {
    // The publisher's own signed checksums: served as they are, with the publisher's key.
    std::string key = prefix + provider.repository + "@" + release.shasums_manifest;
    auto body = cache_.manifest(key);
    if (body) {
      ++stats.cache_hits;
    } else {
      FetchedManifest fetched = client.get_manifest(provider.repository, release.shasums_manifest, kReleaseManifestLimit);
      body = std::make_shared<const std::string>(fetched.body);
      cache_.put_manifest(key, std::move(fetched.body));
    }
    SignedShasumsRef ref = parse_shasums_manifest(*body);
    auto cached_blob = [&](const std::string& digest) {
      std::string blob_key = prefix + provider.repository + "@" + digest;
      if (auto hit = cache_.manifest(blob_key)) {
        ++stats.cache_hits;
        return *hit;
      }
      std::string bytes = read_small_blob(client, provider.repository, digest, kMaxPublisherFile);
      cache_.put_manifest(blob_key, bytes);
      return bytes;
    };
    out.shasums = cached_blob(ref.shasums_digest);
    out.signature = cached_blob(ref.signature_digest);
    out.public_key = cached_blob(ref.public_key_digest);
    std::string id_key = "key id\n" + ref.public_key_digest;
    if (auto hit = cache_.manifest(id_key)) {
      out.key_id = *hit;
    } else {
      out.key_id = signer_->key_id_of(out.public_key);
      cache_.put_manifest(id_key, out.key_id);
    }
    return out;
  }
  out.shasums = make_shasums(provider.type, version, release.packages);
  out.key_id = signer_->key_id();
  out.public_key = signer_->public_key_armored();
  // Signatures are kept per checksums file and key: identical for every caller, so not per identity.
  std::string key = "signature\n" + signer_->fingerprint() + "\n" + sha256_hex(out.shasums);
  if (auto hit = cache_.manifest(key)) {
    ++stats.cache_hits;
    out.signature = *hit;
  } else {
    out.signature = signer_->sign(out.shasums);
    cache_.put_manifest(key, out.signature);
  }
  return out;
}

void ProviderRegistryService::serve_download(const Request& request, const Provider& provider,
                                             const std::string& version_text, const std::string& os,
                                             const std::string& arch, ResponseSink& sink, RequestStats& stats) const {
  auto version = parse_version(version_text);
  if (!version) return send(sink, json_error(404, "\"" + version_text + "\" is not a version"));
  std::string authorization = request.headers.get("Authorization");
  std::string prefix = service_cache_prefix(config_.name, authorization);
  std::unique_ptr<OciReader> origin = open_origin(endpoint_, auth_, authorization, stats);
  OciReader& client = *origin;
  ReleaseReader reader(client, cache_, prefix, stats);
  Release release = reader.release(provider.repository, *version);
  auto package = std::find_if(release.packages.begin(), release.packages.end(),
                              [&](const PlatformPackage& p) { return p.os == os && p.arch == arch; });
  if (package == release.packages.end())
    return send(sink, json_error(404, "version " + version->to_string() + " has no package for " + os + "_" + arch));
  if (zip_hex(package->digest).empty())
    throw Error(ErrorKind::kBadResponse,
                        provider.repository + " " + version->to_string() + " " + os + "_" + arch + ": the package is "
                        "stored under a " + package->digest.substr(0, package->digest.find(':')) +
                        " digest; the provider registry protocol needs its sha256 (publish it again with push)");
  Checksums sums = checksums(client, provider, prefix, release, *version, stats);

  ProviderDownload d;
  d.protocols = release.protocols;
  d.os = os;
  d.arch = arch;
  d.filename = provider_package_filename(provider.type, *version, os, arch);
  const bool proxied = config_.proxy_packages && sealer_ != nullptr;
  const std::int64_t expires_at = sealed_url_expiry(server_.package_url_ttl.count());
  d.download_url = proxied ? sealed_download_path(*sealer_, request, config_.name, provider.repository, package->digest,
                                                  d.filename, expires_at)
                           : client.blob_url(provider.repository, package->digest);
  // Relative to this document's URL (.../<version>/download/<os>/<arch>), as clients resolve them.
  // Clients fetch them without credentials: a caller's Authorization rides sealed in the query.
  std::string query;
  if (!authorization.empty() && sealer_ != nullptr)
    query = "?token=" + sealer_->seal({TokenPurpose::kChecksums, config_.name, provider.repository, release.digest,
                                       expires_at, authorization});
  d.shasums_url = "../../" + std::string(kShasumsFile) + query;
  d.shasums_signature_url = "../../" + std::string(kSignatureFile) + query;
  d.shasum = zip_hex(package->digest);
  d.key_id = sums.key_id;
  d.public_key_armored = sums.public_key;
  if (!package->h1.empty()) d.hashes.push_back(package->h1);
  d.hashes.push_back("zh:" + d.shasum);
  std::string body = provider_download_document(d);
  std::string etag_source = identity_key(authorization) + "\n" + (proxied ? std::to_string(expires_at) : "direct") +
                            "\n" + release.digest + "\n" + sha256_hex(sums.shasums) + sums.key_id + "\n" + os + arch;
  send(sink, json_document(request, std::move(body), etag_source, server_.tags_cache_ttl));
}

void ProviderRegistryService::serve_checksums(const Request& request, const Provider& provider,
                                              const std::string& version_text, bool signature, ResponseSink& sink,
                                              RequestStats& stats) const {
  auto version = parse_version(version_text);
  if (!version) return send(sink, json_error(404, "\"" + version_text + "\" is not a version"));
  std::string authorization = request.headers.get("Authorization");
  std::string sealed;  // the release digest a token was issued for
  if (std::string token = query_param(request.query, "token"); !token.empty() && sealer_ != nullptr) {
    TokenSealer::Opened opened = sealer_->open(token, TokenPurpose::kChecksums, std::time(nullptr));
    if (!opened.grant || opened.grant->service != config_.name || opened.grant->repository != provider.repository)
      return send(sink, json_error(403, opened.error == TokenError::kExpired
                                            ? "this link has expired; ask the registry again"
                                            : "this link is not valid"));
    authorization = opened.grant->authorization;
    sealed = opened.grant->digest;
  }
  std::string prefix = service_cache_prefix(config_.name, authorization);
  std::unique_ptr<OciReader> origin = open_origin(endpoint_, auth_, authorization, stats);
  OciReader& client = *origin;
  ReleaseReader reader(client, cache_, prefix, stats);
  Release release = reader.release(provider.repository, *version);
  if (!sealed.empty() && sealed != release.digest) return send(sink, json_error(403, "this link is not valid"));
  Checksums sums = checksums(client, provider, prefix, release, *version, stats);
  Response r;
  r.body = signature ? sums.signature : sums.shasums;
  r.headers.set("Content-Type", signature ? "application/octet-stream" : "text/plain; charset=utf-8");
  r.headers.set("Cache-Control", authorization.empty() ? "public, max-age=300" : "private, max-age=300");
  r.headers.set("ETag", "\"" + sha256_hex(r.body) + "\"");
  send(sink, r);
}

}  // namespace otr
