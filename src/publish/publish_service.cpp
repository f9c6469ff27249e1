#include "publish/publish_service.h"

namespace otr {

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name) {
  for (const ProviderMirrorConfig& m : config.provider_mirrors)
    if (m.name == name) return PublishService{"provider_mirror", m.name, m.origin_url, m.name_prefix, m.credentials, m.origin, {}};
  for (const ProviderRegistryConfig& r : config.provider_registries)
    if (r.name == name)
      return PublishService{"provider_registry", r.name, r.origin_url, r.name_prefix, r.credentials, r.origin, r.hostname};
  for (const ModuleRegistryConfig& r : config.module_registries)
    if (r.name == name) return PublishService{"module_registry", r.name, r.origin_url, r.name_prefix, r.credentials, r.origin, {}};
  return std::nullopt;
}

std::string publish_service_names(const Config& config) {
  std::string names;
  for (const ProviderMirrorConfig& m : config.provider_mirrors) names += (names.empty() ? "" : ", ") + m.name;
  for (const ProviderRegistryConfig& r : config.provider_registries) names += (names.empty() ? "" : ", ") + r.name;
  for (const ModuleRegistryConfig& r : config.module_registries) names += (names.empty() ? "" : ", ") + r.name;
  return names.empty() ? "(none)" : names;
}

}  // namespace otr
