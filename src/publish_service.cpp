#include "publish_service.h"

namespace otr {

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name) {
  for (const ProviderMirrorConfig& m : config.provider_mirrors)
    if (m.name == name) return PublishService{"provider_mirror", m.name, m.origin_url, m.name_prefix, m.credentials, m.origin};
  return std::nullopt;
}

std::string publish_service_names(const Config& config) {
  std::string names;
  for (const ProviderMirrorConfig& m : config.provider_mirrors) names += (names.empty() ? "" : ", ") + m.name;
  return names.empty() ? "(none)" : names;
}

}  // namespace otr
