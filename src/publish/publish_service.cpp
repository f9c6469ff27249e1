#include "publish/publish_service.h"

namespace otr {

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name) {
  const ServiceConfig* service = config.find_service(name);
  if (service == nullptr) return std::nullopt;
  return PublishService{service, repository_naming(*service)};
}

std::string publish_service_names(const Config& config) {
  std::string names;
  for (const ServiceConfig* s : config.services()) names += (names.empty() ? "" : ", ") + s->name;
  return names.empty() ? "(none)" : names;
}

}  // namespace otr
