// The Module Registry Protocol for one module_registry block, answered from OCI:
//
//   GET      <svc>/<namespace>/<name>/<system>/versions            {"modules":[{"versions":[...]}]}
//   GET|HEAD <svc>/<namespace>/<name>/<system>/<version>/download  204 + X-Terraform-Get
//   GET|HEAD <svc>/_packages/<digest>/<file>.zip?token=...         proxied download (proxy_packages)
//
// Repository: RepositoryNaming's module(); each version tag names a module package in OpenTofu's
// layout (terraform/release.h). X-Terraform-Get points at a URL the client can fetch without
// credentials that ends in .zip (proxied and sealed), or the registry's blob URL with ?archive=zip.
// Thread-safe.
#pragma once

#include "config/config.h"
#include "server/service.h"

namespace otr {

class ModuleRegistryService : public OriginService {
 public:
  // `config` and `context` must outlive the service.
  ModuleRegistryService(const ModuleRegistryConfig& config, const ServiceContext& context);


 private:
  void serve(const Request& request, const ServicePath& path, ResponseSink& sink, RequestStats& stats) const override;
  void serve_versions(const Request& request, const std::string& repository, ResponseSink& sink,
                      RequestStats& stats) const;
  void serve_download(const Request& request, const ModuleAddress& address, const std::string& repository,
                      const std::string& version, ResponseSink& sink, RequestStats& stats) const;
};

}  // namespace otr
