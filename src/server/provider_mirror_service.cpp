#include "server/provider_mirror_service.h"

#include "base/json.h"
#include "base/names.h"
#include "base/strings.h"
#include "http/responses.h"
#include "server/sealed_download.h"
#include "terraform/package_names.h"
#include "terraform/versions.h"

namespace otr {

namespace {

constexpr const char* kNoSuchProvider = "no such provider or version in this mirror";

}  // namespace

ProviderMirrorService::ProviderMirrorService(const ProviderMirrorConfig& config, const ServiceContext& context)
    : OriginService(config, context), mirror_(config) {
  if (config.upstream.enabled()) pull_ = std::make_unique<PullThrough>(config, context.clock, context.transport, context.upstream_slots);
}

void ProviderMirrorService::serve(const Request& request, const ServicePath& path, ResponseSink& sink,
                                   RequestStats& stats) const {
  const std::vector<std::string>& s = path.segments;
  if (s.size() != 4 || path.trailing_slash || !s[3].ends_with(".json"))
    return send(sink, json_error(404, "not a provider mirror path; expected <hostname>/<namespace>/<type>/index.json "
                                      "or <hostname>/<namespace>/<type>/<version>.json"));
  std::string host = to_lower(s[0]);
  if (auto alias = mirror_.host_aliases.find(host); alias != mirror_.host_aliases.end()) host = alias->second;
  std::optional<ProviderAddress> address = provider_address(host, s[1], s[2]);
  if (!address)
    return send(sink, json_error(404, "no such provider: \"" + s[0] + "/" + s[1] + "/" + s[2] +
                                          "\" is not a provider address this mirror can hold"));
  const std::string repository = naming_.provider(*address);
  const std::string document = s[3].substr(0, s[3].size() - 5);
  if (document == "index") return serve_index(request, *address, repository, sink, stats);
  serve_version(request, *address, repository, document, sink, stats);
}

void ProviderMirrorService::serve_index(const Request& request, const ProviderAddress& address,
                                        const std::string& repository, ResponseSink& sink, RequestStats& stats) const {
  ReleaseReader reader = releases(request.headers.get("Authorization"), stats);
  std::optional<std::vector<Version>> versions = reader.versions(repository);
  if (pull_ && pull_->serves(address)) {
    PullThrough::Offer upstream = pull_->releases(address);
    if (upstream.busy) return send(sink, PullThrough::busy_response());
    if (upstream.releases)
      versions = PullThrough::merged_versions(versions.value_or(std::vector<Version>{}), *upstream.releases);
  }
  if (!versions || versions->empty()) return send(sink, json_error(404, kNoSuchProvider));
  JsonPtr doc = json_new_object();
  cJSON* listed = json_add(doc.get(), "versions", json_new_object());
  for (const Version& v : *versions) json_add(listed, v.to_string().c_str(), json_new_object());
  std::string body = json_print(doc.get()) + "\n";
  send(sink, json_document(request, std::move(body), context_.server.tags_cache_ttl));
}

void ProviderMirrorService::serve_version(const Request& request, const ProviderAddress& address,
                                          const std::string& repository, const std::string& version_text,
                                          ResponseSink& sink, RequestStats& stats) const {
  std::optional<Version> version = version_in_path(version_text, sink);
  if (!version) return;
  ReleaseReader reader = releases(request.headers.get("Authorization"), stats);
  std::optional<Release> release = reader.release(repository, *version);
  if (!release && pull_ && pull_->serves(address)) {
    PullThrough::Found found = pull_->find_or_import(reader, address, repository, *version);
    if (found.pending) return send(sink, PullThrough::pending_response(address, *version));
    if (found.busy) return send(sink, PullThrough::busy_response());
    release = std::move(found.release);
  }
  if (!release) return send(sink, json_error(404, kNoSuchProvider));

  const bool proxied = proxies_downloads();
  const std::int64_t expires_at = proxied ? sealed_expiry() : 0;
  JsonPtr doc = json_new_object();
  cJSON* archives = json_add(doc.get(), "archives", json_new_object());
  std::string etag_source = identity_key(request.headers.get("Authorization")) + "\n" +
                            (proxied ? std::to_string(expires_at) : std::string("direct")) + "\n";
  for (const PlatformPackage& p : release->packages) {
    std::string platform = p.os + "_" + p.arch;
    std::string url =
        proxied ? sealed_package_path(request, repository, p.digest,
                                      package_file_name(address.type, version->to_string(), p.os, p.arch), expires_at)
                : reader.origin().blob_url(repository, p.digest);
    cJSON* archive = json_add(archives, platform.c_str(), json_new_object());
    json_add_string(archive, "url", url);
    JsonPtr hashes = json_new_array();
    if (!p.h1.empty()) json_append_string(hashes.get(), p.h1);
    if (std::string hex = sha256_hex_of(p.digest); !hex.empty()) json_append_string(hashes.get(), "zh:" + hex);
    json_add(archive, "hashes", std::move(hashes));
    etag_source += platform + " " + p.digest + " " + p.h1 + (proxied ? "" : " " + url) + "\n";
  }
  send(sink, json_document(request, json_print(doc.get()) + "\n", etag_source, context_.server.tags_cache_ttl));
}

}  // namespace otr
