#include "server/service.h"

#include "server/sealed_download.h"

namespace otr {

OriginService::OriginService(const ServiceConfig& config, const ServiceContext& context, RepositoryNaming naming)
    : config_(config), context_(context), endpoint_(endpoint_of(config)), naming_(std::move(naming)) {}

ReleaseReader OriginService::releases(const std::string& authorization, RequestStats& stats) const {
  return ReleaseReader(context_.origins.open(endpoint_, authorization, stats), context_.cache,
                       service_cache_prefix(config_.name, authorization), stats);
}

std::int64_t OriginService::sealed_expiry() const {
  return sealed_url_expiry(context_.server.package_url_ttl.count(), context_.clock.unix_now());
}

std::string OriginService::sealed_package_path(const Request& request, const std::string& repository,
                                               const std::string& digest, const std::string& filename,
                                               std::int64_t expires_at) const {
  return sealed_download_path(*context_.sealer, request, config_.name, repository, digest, filename, expires_at);
}

void OriginService::serve_package(const Request& request, const std::string& digest, ResponseSink& sink,
                                  RequestStats& stats) const {
  serve_sealed_download(request, config_.name, digest, proxies_downloads() ? context_.sealer : nullptr,
                        context_.clock.unix_now(), context_.origins, endpoint_, "application/zip", sink, stats);
}

}  // namespace otr
