// The configured service that `push --service NAME` publishes into: its origin (a registry URL,
// or file:// for an OCI image layout directory), repository prefix, credentials and timeouts.
// Every service block can be published into: provider_mirror, provider_registry, module_registry.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace otr {

struct PublishService {
  std::string block;        // "provider_mirror", "provider_registry" or "module_registry"
  std::string name;
  std::string origin_url;   // "http[s]://host[:port]" or "file:///path"
  std::string name_prefix;
  OriginCredentials credentials;
  OriginSettings origin;
  // provider_registry: its hostname component of provider repositories ("" = none); nullopt for
  // the other blocks, where the provider address's own hostname is used.
  std::optional<std::string> provider_hostname;
};

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name);

// "mirror, other" (for a message naming the services that exist), or "(none)".
std::string publish_service_names(const Config& config);

}  // namespace otr
