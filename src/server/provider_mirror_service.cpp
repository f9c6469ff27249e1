#include "server/provider_mirror_service.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include "base/json.h"
#include "base/log.h"
#include "oci/origin.h"
#include "base/names.h"
#include "terraform/naming.h"
#include "terraform/release.h"
#include "server/sealed_download.h"
#include "terraform/documents.h"
#include "server/release_reader.h"
#include "http/responses.h"
#include "terraform/versions.h"

namespace otr {

namespace {

std::string zip_hex(const std::string& digest) {
  return digest.starts_with("sha256:") ? digest.substr(7) : std::string();
}

}  // namespace

struct ProviderMirrorService::Provider {
  std::string type;        // lower-cased
  std::string repository;  // where it lives in the registry
};

ProviderMirrorService::ProviderMirrorService(const ProviderMirrorConfig& config, const ServerConfig& server,
                                             MetadataCache& cache, AuthCache& auth, const TokenSealer* sealer)
    : config_(config), endpoint_(endpoint_of(config)), server_(server), cache_(cache), auth_(auth), sealer_(sealer) {
}

void ProviderMirrorService::handle(const Request& request, const std::vector<std::string>& segments,
                                   bool trailing_slash, ResponseSink& sink, RequestStats& stats) const {
  if (segments.empty()) {
    if (!trailing_slash) {
      Response redirect;
      redirect.status = 301;
      redirect.headers.set("Location", request.mount + "/" + config_.name + "/");
      return send(sink, redirect);
    }
    return serve_page(request, sink);
  }
  if (segments.size() == 3 && segments[0] == kPackagesSegment && !trailing_slash)
    return serve_download(request, segments[1], sink, stats);
  if (segments.size() != 4 || trailing_slash || !segments[3].ends_with(".json"))
    return send(sink, json_error(404, "not a provider mirror path; expected <hostname>/<namespace>/<type>/index.json "
                                      "or <hostname>/<namespace>/<type>/<version>.json"));

  std::string host = segments[0];
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  if (auto alias = config_.host_aliases.find(host); alias != config_.host_aliases.end()) host = alias->second;
  auto host_component = hostname_to_component(host);
  auto ns = provider_name_to_component(segments[1]);
  auto type = provider_name_to_component(segments[2]);
  if (!host_component || !ns || !type)
    return send(sink, json_error(404, "no such provider: \"" + segments[0] + "/" + segments[1] + "/" + segments[2] +
                                          "\" is not a provider address this mirror can hold"));
  Provider provider{*type, provider_repository(config_.name_prefix, *host_component, *ns, *type)};
  std::string document = segments[3].substr(0, segments[3].size() - 5);
  try {
    if (document == "index") return serve_index(request, provider, sink, stats);
    return serve_version(request, provider, document, sink, stats);
  } catch (const Error& e) {
    return send(sink, e.kind() == ErrorKind::kNotFound ? json_error(404, "no such provider or version in this mirror") : error_response(e, request, config_.name));
  }
}

void ProviderMirrorService::serve_index(const Request& request, const Provider& provider, ResponseSink& sink,
                                        RequestStats& stats) const {
  std::string authorization = request.headers.get("Authorization");
  std::unique_ptr<OciReader> client = open_origin(endpoint_, auth_, authorization, stats);
  ReleaseReader reader(*client, cache_, service_cache_prefix(config_.name, authorization), stats);
  std::vector<Version> versions = reader.versions(provider.repository);
  if (versions.empty()) return send(sink, json_error(404, "no such provider or version in this mirror"));
  JsonPtr doc = json_new_object();
  cJSON* listed = json_add(doc.get(), "versions", json_new_object());
  for (const Version& v : versions) json_add(listed, v.to_string().c_str(), json_new_object());
  std::string body = json_print(doc.get()) + "\n";
  std::string etag_source = body;
  send(sink, json_document(request, std::move(body), etag_source, server_.tags_cache_ttl));
}

void ProviderMirrorService::serve_version(const Request& request, const Provider& provider,
                                          const std::string& version_text, ResponseSink& sink,
                                          RequestStats& stats) const {
  auto version = parse_version(version_text);
  if (!version) return send(sink, json_error(404, "\"" + version_text + "\" is not a version"));
  std::string authorization = request.headers.get("Authorization");
  std::string identity = identity_key(authorization);
  std::unique_ptr<OciReader> client = open_origin(endpoint_, auth_, authorization, stats);
  ReleaseReader reader(*client, cache_, service_cache_prefix(config_.name, authorization), stats);
  std::vector<PlatformPackage> packages = reader.release(provider.repository, *version).packages;

  const std::int64_t expires_at = sealed_url_expiry(server_.package_url_ttl.count());
  const bool proxied = config_.proxy_packages && sealer_ != nullptr;

  JsonPtr doc = json_new_object();
  cJSON* archives = json_add(doc.get(), "archives", json_new_object());
  std::string etag_source = identity + "\n" + (proxied ? std::to_string(expires_at) : std::string("direct")) + "\n";
  for (const PlatformPackage& p : packages) {
    std::string platform = p.os + "_" + p.arch;
    std::string url;
    if (proxied) {
      url = sealed_download_path(*sealer_, request, config_.name, provider.repository, p.digest,
                                 provider_package_filename(provider.type, *version, p.os, p.arch), expires_at);
    } else {
      url = client->blob_url(provider.repository, p.digest);
    }
    cJSON* archive = json_add(archives, platform.c_str(), json_new_object());
    json_add_string(archive, "url", url);
    JsonPtr hashes = json_new_array();
    if (!p.h1.empty()) json_append_string(hashes.get(), p.h1);
    if (std::string hex = zip_hex(p.digest); !hex.empty()) json_append_string(hashes.get(), "zh:" + hex);
    json_add(archive, "hashes", std::move(hashes));
    etag_source += platform + " " + p.digest + " " + p.h1 + (proxied ? "" : " " + url) + "\n";
  }
  send(sink, json_document(request, json_print(doc.get()) + "\n", etag_source, server_.tags_cache_ttl));
}

void ProviderMirrorService::serve_download(const Request& request, const std::string& digest, ResponseSink& sink,
                                           RequestStats& stats) const {
  serve_sealed_download(request, config_.name, digest, config_.proxy_packages ? sealer_ : nullptr, endpoint_, auth_,
                        "application/zip", sink, stats);
}

void ProviderMirrorService::serve_page(const Request& request, ResponseSink& sink) const {
  std::string base = (request.scheme.empty() ? "https" : request.scheme) + "://" +
                     (request.host.empty() ? "HOST" : request.host) + request.mount + "/" + config_.name + "/";
  std::string b = html_escape(base);
  std::string name = html_escape(config_.name);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" + name +
      ": Terraform provider mirror</title></head>\n<body>\n<h1>Terraform / OpenTofu provider mirror</h1>\n"
      "<p>This is a <a href=\"https://developer.hashicorp.com/terraform/internals/provider-network-mirror-protocol\">"
      "provider network mirror</a> served from an OCI registry. Point Terraform or OpenTofu at it in the CLI "
      "configuration file (<code>~/.terraformrc</code> or <code>~/.tofurc</code>):</p>\n<pre>provider_installation {\n"
      "  network_mirror {\n    url = \"" + b + "\"\n  }\n}</pre>\n"
      "<p>Terraform requires the mirror URL to use <code>https:</code>.</p>\n</body>\n</html>\n";
  send(sink, html_page(std::move(page)));
}

}  // namespace otr
