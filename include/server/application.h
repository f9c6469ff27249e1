// The whole application for one worker process: routes a Request to /healthz or to the service
// named by the first path segment, guards against bad paths and methods, and writes the access
// log line. Built once per worker process from a Config (which must outlive it).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/handler.h"
#include "server/metadata_cache.h"
#include "server/provider_mirror_service.h"
#include "server/module_registry_service.h"
#include "server/provider_registry_service.h"
#include "oci/auth.h"
#include "server/sealed_token.h"

namespace otr {

class RegistryApp : public Handler {
 public:
  explicit RegistryApp(const Config& config);

  void handle(const Request& request, ResponseSink& sink) override;
  std::vector<std::string> top_level_names() const override;

 private:
  void route(const Request& request, ResponseSink& sink, RequestStats& stats);
  // GET /.well-known/terraform.json: providers.v1 and modules.v1 of the configured registries.
  void serve_discovery(const Request& request, ResponseSink& sink) const;

  const Config& config_;
  MetadataCache cache_;
  AuthCache auth_;
  std::optional<TokenSealer> sealer_;
  std::vector<std::unique_ptr<ProviderMirrorService>> mirrors_;
  std::vector<std::unique_ptr<ProviderRegistryService>> provider_registries_;
  std::vector<std::unique_ptr<ModuleRegistryService>> module_registries_;
};

}  // namespace otr
