// The Provider Registry Protocol for one provider_registry block, answered from OCI:
//
//   GET      <svc>/<namespace>/<type>/versions                             versions, protocols, platforms
//   GET      <svc>/<namespace>/<type>/<version>/download/<os>/<arch>       the package and how to verify it
//   GET|HEAD <svc>/<namespace>/<type>/<version>/SHA256SUMS                 checksums of every platform's zip
//   GET|HEAD <svc>/<namespace>/<type>/<version>/SHA256SUMS.sig             binary detached OpenPGP signature
//   GET|HEAD <svc>/_packages/<digest>/<file>.zip?token=...                 proxied download (proxy_packages)
//
// Repository: <name_prefix>/<hostname>/<namespace>/<type> (see ProviderRegistryConfig). SHA256SUMS
// is made from the release's zip digests and signed with the operator's key; signatures are kept
// per checksums file and key. A release whose index carries the publisher's signed checksums
// (kShasumsArtifactType) is served with those instead. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/message.h"
#include "server/metadata_cache.h"
#include "oci/client.h"
#include "server/signer.h"
#include "oci/auth.h"
#include "server/release_reader.h"
#include "http/request_stats.h"
#include "server/sealed_token.h"
#include "terraform/versions.h"

namespace otr {

class ProviderRegistryService {
 public:
  // Loads the signing key (throws SigningError when it cannot be used).
  ProviderRegistryService(const ProviderRegistryConfig& config, const ServerConfig& server, MetadataCache& cache,
                          AuthCache& auth, const TokenSealer* sealer);

  const std::string& name() const { return config_.name; }

  // `segments`: decoded path segments after the service name.
  void handle(const Request& request, const std::vector<std::string>& segments, bool trailing_slash,
              ResponseSink& sink, RequestStats& stats) const;

 private:
  struct Provider;
  struct Checksums;
  void serve_versions(const Request& request, const Provider& provider, ResponseSink& sink, RequestStats& stats) const;
  void serve_download(const Request& request, const Provider& provider, const std::string& version,
                      const std::string& os, const std::string& arch, ResponseSink& sink, RequestStats& stats) const;
  void serve_checksums(const Request& request, const Provider& provider, const std::string& version, bool signature,
                       ResponseSink& sink, RequestStats& stats) const;
  // The release's SHA256SUMS, its signature and the public key that verifies it.
  Checksums checksums(OciReader& client, const Provider& provider, const std::string& cache_prefix,
                      const Release& release, const Version& version, RequestStats& stats) const;

  ProviderRegistryConfig config_;
  RegistryEndpoint endpoint_;
  const ServerConfig& server_;
  MetadataCache& cache_;
  AuthCache& auth_;
  const TokenSealer* sealer_;
  std::unique_ptr<OpenPgpSigner> signer_;
};

}  // namespace otr
