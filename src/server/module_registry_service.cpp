#include "server/module_registry_service.h"

#include "base/log.h"
#include "base/names.h"
#include "terraform/naming.h"
#include "oci/origin.h"
#include "server/sealed_download.h"
#include "terraform/release.h"
#include "terraform/documents.h"
#include "server/release_reader.h"
#include "http/responses.h"

namespace otr {

struct ModuleRegistryService::Module {
  std::string file_stem;   // "<namespace>-<name>-<system>"
  std::string repository;
};

ModuleRegistryService::ModuleRegistryService(const ModuleRegistryConfig& config, const ServerConfig& server,
                                             MetadataCache& cache, AuthCache& auth, const TokenSealer* sealer)
    : config_(config), endpoint_(endpoint_of(config)), server_(server), cache_(cache), auth_(auth), sealer_(sealer) {
}

void ModuleRegistryService::handle(const Request& request, const std::vector<std::string>& segments,
                                   bool trailing_slash, ResponseSink& sink, RequestStats& stats) const {
  if (segments.size() == 3 && segments[0] == kPackagesSegment && !trailing_slash)
    return serve_sealed_download(request, config_.name, segments[1], config_.proxy_packages ? sealer_ : nullptr,
                                 endpoint_, auth_, "application/zip", sink, stats);
  const bool versions = segments.size() == 4 && segments[3] == "versions";
  const bool download = segments.size() == 5 && segments[4] == "download";
  if (trailing_slash || !(versions || download))
    return send(sink, json_error(404, "not a module registry path; expected <namespace>/<name>/<system>/versions or "
                                      "<namespace>/<name>/<system>/<version>/download"));
  auto ns = provider_name_to_component(segments[0]);
  auto name = provider_name_to_component(segments[1]);
  auto system = provider_name_to_component(segments[2]);
  if (!ns || !name || !system)
    return send(sink, json_error(404, "no such module: \"" + segments[0] + "/" + segments[1] + "/" + segments[2] +
                                          "\" is not a module address this registry can hold"));
  Module module{*ns + "-" + *name + "-" + *system,
                (config_.name_prefix.empty() ? "" : config_.name_prefix + "/") + *ns + "/" + *name + "/" + *system};
  try {
    if (versions) return serve_versions(request, module, sink, stats);
    return serve_download(request, module, segments[3], sink, stats);
  } catch (const Error& e) {
    return send(sink, e.kind() == ErrorKind::kNotFound ? json_error(404, "no such module or version in this registry") : error_response(e, request, config_.name));
  }
}

void ModuleRegistryService::serve_versions(const Request& request, const Module& module, ResponseSink& sink,
                                           RequestStats& stats) const {
  std::string authorization = request.headers.get("Authorization");
  std::unique_ptr<OciReader> origin = open_origin(endpoint_, auth_, authorization, stats);
  OciReader& client = *origin;
  ReleaseReader reader(client, cache_, service_cache_prefix(config_.name, authorization), stats);
  std::vector<Version> versions = reader.versions(module.repository);
  if (versions.empty()) return send(sink, json_error(404, "no such module or version in this registry"));
  std::string body = module_versions_document(versions);
  std::string etag_source = body;
  send(sink, json_document(request, std::move(body), etag_source, server_.tags_cache_ttl));
}

void ModuleRegistryService::serve_download(const Request& request, const Module& module,
                                           const std::string& version_text, ResponseSink& sink,
                                           RequestStats& stats) const {
  auto version = parse_version(version_text);
  if (!version) return send(sink, json_error(404, "\"" + version_text + "\" is not a version"));
  std::string authorization = request.headers.get("Authorization");
  std::unique_ptr<OciReader> origin = open_origin(endpoint_, auth_, authorization, stats);
  OciReader& client = *origin;
  ReleaseReader reader(client, cache_, service_cache_prefix(config_.name, authorization), stats);
  std::string zip = parse_module_manifest(*reader.manifest(module.repository, version_to_tag(*version)));
  std::string location;
  if (config_.proxy_packages && sealer_ != nullptr) {
    location = sealed_download_path(*sealer_, request, config_.name, module.repository, zip,
                                    module.file_stem + "-" + version->to_string() + ".zip",
                                    sealed_url_expiry(server_.package_url_ttl.count()));
  } else {
    location = client.blob_url(module.repository, zip) + "?archive=zip";
  }
  Response r;
  r.status = 204;
  r.headers.set("X-Terraform-Get", location);
  r.headers.set("Cache-Control", "no-store");  // the location may carry a sealed, expiring token
  send(sink, r);
}

}  // namespace otr
