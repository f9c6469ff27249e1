// The Module Registry Protocol for one module_registry block, answered from OCI:
//
//   GET      <svc>/<namespace>/<name>/<system>/versions            {"modules":[{"versions":[...]}]}
//   GET|HEAD <svc>/<namespace>/<name>/<system>/<version>/download  204 + X-Terraform-Get
//   GET|HEAD <svc>/_packages/<digest>/<file>.zip?token=...         proxied download (proxy_packages)
//
// Repository: <name_prefix>/<namespace>/<name>/<system> (lower-cased), tag = version; each tag names
// a module package in OpenTofu's layout (provider_release.h). X-Terraform-Get points at a URL the
// client can fetch without credentials that ends in .zip (proxied and sealed), or the registry's blob
// URL with ?archive=zip. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "http/message.h"
#include "server/metadata_cache.h"
#include "oci/client.h"
#include "oci/auth.h"
#include "http/request_stats.h"
#include "server/sealed_token.h"

namespace otr {

class ModuleRegistryService {
 public:
  ModuleRegistryService(const ModuleRegistryConfig& config, const ServerConfig& server, MetadataCache& cache,
                        AuthCache& auth, const TokenSealer* sealer);

  const std::string& name() const { return config_.name; }

  void handle(const Request& request, const std::vector<std::string>& segments, bool trailing_slash,
              ResponseSink& sink, RequestStats& stats) const;

 private:
  struct Module;
  void serve_versions(const Request& request, const Module& module, ResponseSink& sink, RequestStats& stats) const;
  void serve_download(const Request& request, const Module& module, const std::string& version, ResponseSink& sink,
                      RequestStats& stats) const;

  ModuleRegistryConfig config_;
  RegistryEndpoint endpoint_;
  const ServerConfig& server_;
  MetadataCache& cache_;
  AuthCache& auth_;
  const TokenSealer* sealer_;
};

}  // namespace otr
