// Which reader serves a service's origin: an OCI image layout directory for "file:///path"
// (oci_layout.h), else the registry client (oci_client.h).
#pragma once

#include <memory>
#include <string>

#include "oci/client.h"
#include "oci/reader.h"

namespace otr {

bool is_layout_origin(const std::string& origin_url);
// "/srv/mirror" of "file:///srv/mirror".
std::string layout_directory(const std::string& origin_url);

// For one request; `endpoint`, `auth` and `stats` must outlive the reader.
std::unique_ptr<OciReader> open_origin(const RegistryEndpoint& endpoint, AuthCache& auth,
                                       std::string caller_authorization, RequestStats& stats);

}  // namespace otr
