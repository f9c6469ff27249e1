// The Provider Network Mirror Protocol for one provider_mirror block, answered from OCI.
//
//   GET  <svc>/, <svc>/_catalog/...                  the catalogue's HTML pages (server/catalogue.h)
//   GET  <svc>/<host>/<namespace>/<type>/index.json  {"versions":{...}} from the repository's tags
//   GET  <svc>/<host>/<namespace>/<type>/<ver>.json  {"archives":{...}} from the release manifests
//   GET|HEAD <svc>/_packages/<digest>/<file>.zip?token=...   proxied download (proxy_packages)
//
// Repository: RepositoryNaming with each provider's own hostname, after host_aliases.
// With an upstream block, index.json joins the upstream's versions, and a <ver>.json not stored is
// imported first (server/pull_through.h).
// Thread-safe: one instance serves every thread of a worker process.
#pragma once

#include <memory>

#include "config/config.h"
#include "server/pull_through.h"
#include "server/service.h"

namespace otr {

class ProviderMirrorService : public OriginService {
 public:
  // `config` and `context` must outlive the service.
  ProviderMirrorService(const ProviderMirrorConfig& config, const ServiceContext& context);


 private:
  void serve(const Request& request, const ServicePath& path, ResponseSink& sink, RequestStats& stats) const override;
  void serve_index(const Request& request, const ProviderAddress& address, const std::string& repository,
                   ResponseSink& sink, RequestStats& stats) const;
  void serve_version(const Request& request, const ProviderAddress& address, const std::string& repository,
                     const std::string& version, ResponseSink& sink, RequestStats& stats) const;

  const ProviderMirrorConfig& mirror_;
  std::unique_ptr<PullThrough> pull_;  // null without an upstream block
};

}  // namespace otr
