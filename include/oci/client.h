// A client for one OCI Distribution registry, acting for one caller.
//
// Create one per request (cheap): it carries the caller's Authorization header and counts round
// trips into RequestStats. Connections are reused across requests by the HTTP layer; bearer
// tokens by the shared AuthCache (see oci/auth.h for whose credentials are used). "Is it there?"
// is answered with values (see oci/reader.h); every failure is thrown as Error. A registry's 400 to
// a read that carried the caller's credentials is kUnauthorized: the read sends nothing else the
// caller chose, so it is the registry refusing them (never the registry's fault, so never a 502).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/config.h"
#include "http/client.h"
#include "http/request_stats.h"
#include "oci/auth.h"
#include "oci/reader.h"

namespace otr {

// Where a registry is and how to talk to it; fixed per service.
struct RegistryEndpoint {
  std::string base_url;  // "http[s]://host[:port][/path]" without trailing '/'
  OriginCredentials credentials;
  OriginSettings settings;
  // An OAuth2 refresh token (docker's "identitytoken"): exchanged at the registry's token service
  // with grant_type=refresh_token instead of Basic credentials. "" = none.
  std::string identity_token;
  // Publishing: every token asked for a repository covers "pull,push" (as docker and oras ask when
  // they push), even when a challenge names only "pull", so one token serves the whole push.
  bool push_access = false;
};

// The endpoint a service block describes.
RegistryEndpoint endpoint_of(const ServiceConfig& config);

class OciClient : public OciReader {
 public:
  // `endpoint`, `auth`, `stats` and `transport` must outlive the client.
  OciClient(const RegistryEndpoint& endpoint, AuthCache& auth, std::string caller_authorization,
            RequestStats& stats, HttpTransport& transport = curl_transport());

  // GET /v2/_catalog?n=...&last=..., following Link pagination (at most kMaxCatalogPages pages per
  // call), keeping the names under `prefix`. nullopt for 401/403/404 or an UNSUPPORTED error.
  std::optional<RepositoryPage> find_repositories(const std::string& prefix, const std::string& after,
                                                  std::size_t limit) override;

  // Every tag of the repository, following Link pagination, at most settings.max_tag_list_bytes in
  // all pages together (kBadResponse beyond). nullopt for an unknown repository (404).
  std::optional<std::vector<std::string>> find_tags(const std::string& repository) override;

  // A manifest or index by tag or digest, at most min(max_bytes, settings.max_manifest_bytes). The
  // body's digest is computed; when `reference` is a digest it must match (else kBadResponse).
  std::optional<FetchedManifest> find_manifest(const std::string& repository, const std::string& reference,
                                               std::size_t max_bytes) override;

  // Several manifests by tag or digest, fetched concurrently; same order as `references`.
  std::vector<FetchedManifest> get_manifests(const std::string& repository, const std::vector<std::string>& references,
                                             std::size_t max_bytes) override;

  // HEAD of a blob (follows redirects to blob storage without the registry's credentials).
  std::optional<BlobInfo> find_blob(const std::string& repository, const std::string& digest) override;

  // Streams a blob. `on_start` gets the size and type before any byte and may return false to
  // stop. `on_data` gets the bytes; false (client gone) stops the download quietly. The last
  // chunk is held back until the whole blob's digest has been checked: on a mismatch it is never
  // delivered (so the receiver's body ends short of its Content-Length) and kBadResponse is thrown.
  void stream_blob(const std::string& repository, const std::string& digest,
                   const std::function<bool(const BlobInfo&)>& on_start,
                   const std::function<bool(std::string_view)>& on_data) override;

  // The registry's own URL for a blob (for direct downloads).
  std::string blob_url(const std::string& repository, const std::string& digest) const override;
  BlobSource blob_source(const std::string& repository, const std::string&) override {
    return {authorization_for(repository), ""};
  }

  // For the write side (oci/push.h): one round trip for `repository`, with this client's
  // credentials when `request.url` is on the registry's own origin (never elsewhere: an upload
  // Location may name another host); a 401 challenge from the registry is answered once and the
  // request retried (not when its body is streamed from a source: then the 401 is returned). A
  // bearer challenge without a scope asks for "repository:<repository>:<actions>". Transport
  // failures are in the response, not thrown.
  // The read side uses it too, with `actions` "pull".
  IncomingResponse fetch(OutgoingRequest request, const std::string& repository,
                         const std::string& actions = "pull");
  // A request with this registry's timeouts and CA settings; `url` may be a path from "/v2/".
  OutgoingRequest make_request(const std::string& method, const std::string& url) const;

 private:
  std::string authorization_for(const std::string& repository);
  bool answer_challenge(const IncomingResponse& response, const std::string& repository,
                        const std::string& actions = "pull");
  std::string cache_key(const std::string& repository) const;
  // `url` is on the registry's origin (scheme, host and port, default ports normalised).
  bool is_registry_url(const std::string& url) const;
  // Throws for a read's failed `response` to `url`: throw_for_response, except that the registry's
  // 400 to a request that carried the caller's credentials is kUnauthorized (their refusal).
  [[noreturn]] void fail(const IncomingResponse& response, const std::string& url, const std::string& what) const;

  const RegistryEndpoint& endpoint_;
  AuthCache& auth_;
  std::string caller_authorization_;
  RequestStats& stats_;
  HttpTransport& transport_;
};

// Throws the Error matching a transport failure or an unexpected status.
[[noreturn]] void throw_for_response(const IncomingResponse& response, const std::string& what);

// Resolves a Location or Link target (absolute, "//host/...", "/path" or relative) against the
// URL it came from.
std::string resolve_url(const std::string& base, const std::string& target);

}  // namespace otr
