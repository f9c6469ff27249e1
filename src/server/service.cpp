#include "server/service.h"

#include "base/strings.h"
#include "http/responses.h"
#include "server/catalogue.h"
#include "server/sealed_download.h"

namespace otr {

OriginService::OriginService(const ServiceConfig& config, const ServiceContext& context)
    : config_(config), context_(context), endpoint_(endpoint_of(config)), naming_(repository_naming(config)) {}

void OriginService::handle(const Request& request, const ServicePath& path, ResponseSink& sink,
                           RequestStats& stats) const {
  const std::vector<std::string>& s = path.segments;
  if (s.size() == 3 && s[0] == kPackagesSegment && !path.trailing_slash) return serve_package(request, s[1], sink, stats);
  if (s.empty() || s[0] == kCatalogueSegment) {
    if (!path.trailing_slash) {  // pages are directories: their relative links need the slash
      Response redirect;
      redirect.status = 301;
      std::string location = request.mount + "/" + percent_encode(name());
      for (const std::string& segment : s) location += "/" + percent_encode(segment, "-._~:");
      redirect.headers.set("Location", location + "/");
      return send(sink, redirect);
    }
    ReleaseReader reader = releases(request.headers.get("Authorization"), stats);
    CatalogueScope scope{request, config_, naming_, reader, context_.server.tags_cache_ttl};
    if (s.empty()) return send(sink, catalogue_index(scope));
    return send(sink, catalogue_entry(scope, std::vector<std::string>(s.begin() + 1, s.end())));
  }
  serve(request, path, sink, stats);
}

std::optional<Version> OriginService::version_in_path(const std::string& segment, ResponseSink& sink) {
  std::optional<Version> version = parse_version(segment);
  if (!version) send(sink, json_error(404, "\"" + segment + "\" is not a version"));
  return version;
}

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
                        context_.clock.unix_now(), context_.origins, endpoint_, "application/zip", sink, stats,
                        config_.download_offload, config_.offload_location);
}

}  // namespace otr
