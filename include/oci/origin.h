// Where a service's content comes from, for one request: the seam between the services and the
// OCI readers. An origin URL "file:///path" is an OCI image layout directory (oci/layout_reader.h);
// anything else is a registry (oci/client.h).
#pragma once

#include <memory>
#include <string>

#include "http/client.h"
#include "http/request_stats.h"
#include "oci/auth.h"
#include "oci/client.h"
#include "oci/reader.h"

namespace otr {

bool is_layout_origin(const std::string& origin_url);
// "/srv/mirror" of "file:///srv/mirror".
std::string layout_directory(const std::string& origin_url);

class OriginFactory {
 public:
  virtual ~OriginFactory() = default;
  // A reader of `endpoint` for one request, acting for the caller whose Authorization header is
  // `caller_authorization` ("" = none: the endpoint's own credentials are used). `endpoint` and
  // `stats` must outlive the reader. Thread-safe.
  virtual std::unique_ptr<OciReader> open(const RegistryEndpoint& endpoint, const std::string& caller_authorization,
                                          RequestStats& stats) = 0;
};

// Registries through `transport` with the tokens of `auth`; layouts from disk. Both must outlive it.
class StandardOriginFactory : public OriginFactory {
 public:
  StandardOriginFactory(AuthCache& auth, HttpTransport& transport) : auth_(auth), transport_(transport) {}
  std::unique_ptr<OciReader> open(const RegistryEndpoint& endpoint, const std::string& caller_authorization,
                                  RequestStats& stats) override;

 private:
  AuthCache& auth_;
  HttpTransport& transport_;
};

}  // namespace otr
