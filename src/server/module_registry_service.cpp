#include "server/module_registry_service.h"

#include "http/responses.h"
#include "server/sealed_download.h"
#include "terraform/documents.h"
#include "terraform/release.h"

namespace otr {

namespace {

constexpr const char* kNoSuchModule = "no such module or version in this registry";

}  // namespace

ModuleRegistryService::ModuleRegistryService(const ModuleRegistryConfig& config, const ServiceContext& context)
    : OriginService(config, context) {}

void ModuleRegistryService::serve(const Request& request, const ServicePath& path, ResponseSink& sink,
                                   RequestStats& stats) const {
  const std::vector<std::string>& s = path.segments;
  const bool versions = s.size() == 4 && s[3] == "versions";
  const bool download = s.size() == 5 && s[4] == "download";
  if (path.trailing_slash || !(versions || download))
    return send(sink, json_error(404, "not a module registry path; expected <namespace>/<name>/<system>/versions or "
                                      "<namespace>/<name>/<system>/<version>/download"));
  std::optional<ModuleAddress> address = module_address(s[0], s[1], s[2]);
  if (!address)
    return send(sink, json_error(404, "no such module: \"" + s[0] + "/" + s[1] + "/" + s[2] +
                                          "\" is not a module address this registry can hold"));
  const std::string repository = naming_.module(*address);
  if (versions) return serve_versions(request, repository, sink, stats);
  serve_download(request, *address, repository, s[3], sink, stats);
}

void ModuleRegistryService::serve_versions(const Request& request, const std::string& repository, ResponseSink& sink,
                                           RequestStats& stats) const {
  ReleaseReader reader = releases(request.headers.get("Authorization"), stats);
  std::optional<std::vector<Version>> versions = reader.versions(repository);
  if (!versions || versions->empty()) return send(sink, json_error(404, kNoSuchModule));
  std::string body = module_versions_document(*versions);
  send(sink, json_document(request, std::move(body), context_.server.tags_cache_ttl));
}

void ModuleRegistryService::serve_download(const Request& request, const ModuleAddress& address,
                                           const std::string& repository, const std::string& version_text,
                                           ResponseSink& sink, RequestStats& stats) const {
  std::optional<Version> version = version_in_path(version_text, sink);
  if (!version) return;
  ReleaseReader reader = releases(request.headers.get("Authorization"), stats);
  std::shared_ptr<const std::string> manifest = reader.tagged_manifest(repository, version_to_tag(*version));
  if (!manifest) return send(sink, json_error(404, kNoSuchModule));
  std::string zip = parse_module_manifest(*manifest);
  std::string location;
  if (proxies_downloads()) {
    location = sealed_package_path(request, repository, zip,
                                   address.ns + "-" + address.name + "-" + address.system + "-" + version->to_string() +
                                       ".zip",
                                   sealed_expiry());
  } else {
    location = reader.origin().blob_url(repository, zip) + "?archive=zip";
  }
  Response r;
  r.status = 204;
  r.headers.set("X-Terraform-Get", location);
  r.headers.set("Cache-Control", "no-store");  // the location may carry a sealed, expiring token
  send(sink, r);
}

}  // namespace otr
