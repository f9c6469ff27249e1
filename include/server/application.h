// The whole application for one worker process: the router, and what its services share.
//
// route: a request goes to /healthz, /.well-known/terraform.json, or the service named by its first
// path segment (one lookup), after the method, the path and the caller's Authorization header are
// checked (http/authorization.h: what is malformed is answered 4xx before any registry call); a
// service's failures (Error) are answered here, with error_response(), in one place. Every request
// gets an access log line and a request id (the web server's, else one of ours).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "http/client.h"
#include "http/handler.h"
#include "http/metrics.h"
#include "oci/auth.h"
#include "oci/origin.h"
#include "server/metadata_cache.h"
#include "server/metered_transport.h"
#include "server/sealed_token.h"
#include "server/service.h"

namespace otr {

class RegistryApp : public Handler {
 public:
  // Builds every service of `config`; a provider_registry loads its signing key (SigningError when
  // it cannot). `config`, `clock` and `transport` must outlive the application: the real clock and
  // libcurl in production, fakes in tests.
  // Every request and registry call is counted in `metrics` (the pool's, by default).
  explicit RegistryApp(const Config& config, const Clock& clock = system_clock(),
                       HttpTransport& transport = curl_transport(), PoolMetrics& metrics = process_metrics());
  // A temporary would be gone before the application's first request.
  RegistryApp(Config&&, const Clock& = system_clock(), HttpTransport& = curl_transport(),
              PoolMetrics& = process_metrics()) = delete;
  RegistryApp(const Config&, const Clock&&, HttpTransport& = curl_transport(), PoolMetrics& = process_metrics()) = delete;
  RegistryApp(const RegistryApp&) = delete;
  RegistryApp& operator=(const RegistryApp&) = delete;

  void handle(const Request& request, ResponseSink& sink) override;
  std::vector<std::string> top_level_names() const override;

 private:
  void route(const Request& request, ResponseSink& sink, RequestStats& stats) const;
  // GET /.well-known/terraform.json: providers.v1 and modules.v1 of the configured registries.
  void serve_discovery(const Request& request, ResponseSink& sink) const;
  // GET /metrics: the pool's metrics to allowed addresses and to the metrics token (else 403), or
  // 404 when metrics are off.
  void serve_metrics(const Request& request, ResponseSink& sink) const;
  // 404 for a first segment that names no service.
  void serve_unknown(const std::vector<std::string>& segments, ResponseSink& sink) const;

  PoolMetrics& metrics_;
  MeteredTransport metered_;  // the transport every service's registry calls go through
  MetadataCache cache_;
  AuthCache auth_;
  std::optional<TokenSealer> sealer_;
  StandardOriginFactory origins_;
  UpstreamSlots upstream_slots_;
  ServiceContext context_;
  std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
  std::string provider_registry_;  // the provider_registry's name ("" = none), named in discovery
  std::string module_registry_;    // the module_registry's name ("" = none)
};

}  // namespace otr
