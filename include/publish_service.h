// The configured service that `push --service NAME` publishes into: its origin (a registry URL,
// or file:// for an OCI image layout directory), repository prefix, credentials and timeouts.
// Today only provider_mirror blocks are services; other block types (a module registry) are added
// in find_publish_service.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config.h"

namespace otr {

struct PublishService {
  std::string block;        // "provider_mirror"
  std::string name;
  std::string origin_url;   // "http[s]://host[:port]" or "file:///path"
  std::string name_prefix;
  OriginCredentials credentials;
  OriginSettings origin;
};

std::optional<PublishService> find_publish_service(const Config& config, const std::string& name);

// "mirror, other" (for a message naming the services that exist), or "(none)".
std::string publish_service_names(const Config& config);

}  // namespace otr
