#include "oci/origin.h"

#include "oci/layout_reader.h"

namespace otr {

bool is_layout_origin(const std::string& origin_url) { return origin_url.starts_with("file://"); }

std::string layout_directory(const std::string& origin_url) { return origin_url.substr(7); }

std::unique_ptr<OciReader> StandardOriginFactory::open(const RegistryEndpoint& endpoint,
                                                       const std::string& caller_authorization, RequestStats& stats) {
  if (is_layout_origin(endpoint.base_url))
    return std::make_unique<OciLayoutReader>(layout_directory(endpoint.base_url), endpoint.settings.max_manifest_bytes);
  return std::make_unique<OciClient>(endpoint, auth_, caller_authorization, stats, transport_);
}

}  // namespace otr
