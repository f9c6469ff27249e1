// A service: one block of the configuration (provider_mirror, provider_registry, module_registry),
// answering the URLs under /<name>/. The router (server/application.h) finds it by name and hands
// it the rest of the path; everything the services of a worker process share comes in one
// ServiceContext.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "http/message.h"
#include "http/request_stats.h"
#include "oci/client.h"
#include "oci/origin.h"
#include "server/metadata_cache.h"
#include "server/release_reader.h"
#include "server/sealed_token.h"
#include "server/upstream_slots.h"
#include "terraform/naming.h"

namespace otr {

// What the services of one worker process share. Owned by the application, which outlives them.
struct ServiceContext {
  const ServerConfig& server;
  MetadataCache& cache;
  const TokenSealer* sealer;  // null when the server has no query_string_secret
  const Clock& clock;
  OriginFactory& origins;     // opens a service's origin for one request
  HttpTransport& transport;   // for what is not one request's reading of an origin (pull-through imports)
  UpstreamSlots& upstream_slots;  // what pull-through may hold of the process, for every service
};

// Where a request lands inside a service.
struct ServicePath {
  std::vector<std::string> segments;  // decoded, after the service's name; never empty strings
  bool trailing_slash = false;        // "/mirror/" rather than "/mirror"
};

class Service {
 public:
  virtual ~Service() = default;
  virtual const std::string& name() const = 0;
  // Answers a GET or HEAD whose path the router has already checked (split_request_path). What a
  // client asks for that does not exist is answered here (404); failures (Error) are thrown and the
  // router answers them with error_response() unless the response has started. Thread-safe.
  virtual void handle(const Request& request, const ServicePath& path, ResponseSink& sink,
                      RequestStats& stats) const = 0;
};

// What the three services are made of: their block's common part, the context, the endpoint of
// their origin and the repository naming. Not copyable: it refers to what the application owns.
class OriginService : public Service {
 public:
  OriginService(const OriginService&) = delete;
  OriginService& operator=(const OriginService&) = delete;
  const std::string& name() const override { return config_.name; }
  // <name>/_packages/... (serve_package), else the service's own protocol (serve).
  void handle(const Request& request, const ServicePath& path, ResponseSink& sink,
              RequestStats& stats) const final;

 protected:
  // `config` and `context` must outlive the service. Repositories are named repository_naming(config).
  OriginService(const ServiceConfig& config, const ServiceContext& context);

  // The protocol's paths, as Service::handle describes.
  virtual void serve(const Request& request, const ServicePath& path, ResponseSink& sink,
                     RequestStats& stats) const = 0;
  // The version a path segment names; nullopt after answering 404 when it names none.
  static std::optional<Version> version_in_path(const std::string& segment, ResponseSink& sink);

  // The origin's releases as a caller with `authorization` (its Authorization header; "" = none:
  // the service's credentials) may see them, with cache keys of this service and caller.
  ReleaseReader releases(const std::string& authorization, RequestStats& stats) const;
  // Package URLs point back here, sealed (else at the registry's blob URLs).
  bool proxies_downloads() const { return config_.proxy_packages && context_.sealer != nullptr; }
  // The expiry of sealed URLs issued now.
  std::int64_t sealed_expiry() const;
  // The URL path of a proxied download of `digest` from `repository`, ending in `filename`, valid
  // until `expires_at` (sealed_expiry(), taken once per document).
  std::string sealed_package_path(const Request& request, const std::string& repository, const std::string& digest,
                                  const std::string& filename, std::int64_t expires_at) const;
  // GET|HEAD <name>/_packages/<digest>/<file>?token=... (404 when downloads are not proxied).
  void serve_package(const Request& request, const std::string& digest, ResponseSink& sink, RequestStats& stats) const;

  const ServiceConfig& config_;
  const ServiceContext& context_;
  const RegistryEndpoint endpoint_;
  const RepositoryNaming naming_;
};

}  // namespace otr
