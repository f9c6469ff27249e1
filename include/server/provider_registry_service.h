// The Provider Registry Protocol for one provider_registry block, answered from OCI:
//
//   GET      <svc>/<namespace>/<type>/versions                             versions, protocols, platforms
//   GET      <svc>/<namespace>/<type>/<version>/download/<os>/<arch>       the package and how to verify it
//   GET|HEAD <svc>/<namespace>/<type>/<version>/SHA256SUMS                 checksums of every platform's zip
//   GET|HEAD <svc>/<namespace>/<type>/<version>/SHA256SUMS.sig             binary detached OpenPGP signature
//   GET|HEAD <svc>/_packages/<digest>/<file>.zip?token=...                 proxied download (proxy_packages)
//
// Repository: RepositoryNaming with the block's `hostname` for every provider. SHA256SUMS is made from
// the release's zip digests and signed with the operator's key; signatures are kept per checksums
// file and key. A release whose index carries the publisher's signed checksums
// (kShasumsArtifactType) is served with those instead. With an upstream block, versions lists join
// the upstream's, and a version asked for that is not stored is imported first (server/pull_through.h).
// Thread-safe.
#pragma once

#include <memory>

#include "config/config.h"
#include "openpgp/gnupg.h"
#include "server/pull_through.h"
#include "server/service.h"

namespace otr {

class ProviderRegistryService : public OriginService {
 public:
  // Loads the signing key (throws SigningError when it cannot be used). `config` and `context`
  // must outlive the service.
  ProviderRegistryService(const ProviderRegistryConfig& config, const ServiceContext& context);


 private:
  void serve(const Request& request, const ServicePath& path, ResponseSink& sink, RequestStats& stats) const override;
  struct Checksums;
  void serve_versions(const Request& request, const ProviderAddress& address, const std::string& repository,
                      ResponseSink& sink, RequestStats& stats) const;
  void serve_download(const Request& request, const ProviderAddress& address, const std::string& repository,
                      const std::string& version, const std::string& os, const std::string& arch, ResponseSink& sink,
                      RequestStats& stats) const;
  void serve_checksums(const Request& request, const ProviderAddress& address, const std::string& repository,
                       const std::string& version, bool signature, ResponseSink& sink, RequestStats& stats) const;
  // The release's SHA256SUMS, its signature and the public key that verifies it.
  Checksums checksums(ReleaseReader& reader, const ProviderAddress& address, const std::string& repository,
                      const Release& release, const Version& version, RequestStats& stats) const;

  const ProviderRegistryConfig& registry_;
  std::unique_ptr<OpenPgpSigner> signer_;
  std::unique_ptr<PullThrough> pull_;  // null without an upstream block
};

}  // namespace otr
