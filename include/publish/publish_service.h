// The configured service that `push --service NAME` publishes into: the common part of its block
// (origin, prefix, credentials, timeouts) and where it keeps providers and modules.
// Every service block can be published into: provider_mirror, provider_registry, module_registry.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "terraform/naming.h"

namespace otr {

struct PublishService {
  const ServiceConfig* service = nullptr;  // lives as long as the Config
  RepositoryNaming naming;                 // a provider_registry's hostname replaces the address's
};

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name);

// "mirror, other" (for a message naming the services that exist), or "(none)".
std::string publish_service_names(const Config& config);

}  // namespace otr
