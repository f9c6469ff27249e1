#include "publish/publish_service.h"

namespace otr {

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name) {
  for (const ProviderRegistryConfig& r : config.provider_registries)
    if (r.name == name) return PublishService{&r, RepositoryNaming(r.name_prefix, r.hostname)};
  const ServiceConfig* service = config.find_service(name);
  if (service == nullptr) return std::nullopt;
  return PublishService{service, RepositoryNaming(service->name_prefix)};
}

std::string publish_service_names(const Config& config) {
  std::string names;
  for (const ServiceConfig* s : config.services()) names += (names.empty() ? "" : ", ") + s->name;
  return names.empty() ? "(none)" : names;
}

}  // namespace otr
