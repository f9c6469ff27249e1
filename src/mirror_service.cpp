#include "mirror_service.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include "json.h"
#include "log.h"
#include "oci_origin.h"
#include "oci_names.h"
#include "provider_release.h"
#include "responses.h"
#include "semver.h"

namespace otr {

namespace {

constexpr const char* kPackagesSegment = "_packages";

// The value of `name` in a query string ("a=1&token=xyz"), undecoded; "" when absent.
std::string query_param(const std::string& query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view item(query.data() + pos, (amp == std::string::npos ? query.size() : amp) - pos);
    if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=')
      return std::string(item.substr(name.size() + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

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
    : config_(config), server_(server), cache_(cache), auth_(auth), sealer_(sealer) {
  endpoint_.base_url = config.origin_url;
  endpoint_.credentials = config.credentials;
  endpoint_.settings = config.origin;
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
  } catch (const RegistryError& e) {
    if (e.failure() != RegistryFailure::kNotFound) log_warning(config_.name + ": " + e.what());
    std::string message = e.failure() == RegistryFailure::kNotFound
                              ? "no such provider or version in this mirror"
                              : e.what();
    return send(sink, json_error(e.http_status(), message));
  }
}

std::string ProviderMirrorService::cache_prefix(const std::string& authorization) const {
  // Whose answer it is: the caller's credentials, or else this service's own (services differ in
  // origin_credentials even when they share a registry).
  return config_.name + "\n" + identity_key(authorization) + "\n";
}

void ProviderMirrorService::serve_index(const Request& request, const Provider& provider, ResponseSink& sink,
                                        RequestStats& stats) const {
  std::string authorization = request.headers.get("Authorization");
  std::string key = cache_prefix(authorization) + provider.repository;
  auto tags = cache_.tags(key);
  if (tags) {
    ++stats.cache_hits;
  } else {
    std::unique_ptr<OciReader> client = open_origin(endpoint_, auth_, authorization, stats);
    std::vector<std::string> fetched = client->list_tags(provider.repository);
    cache_.put_tags(key, fetched);
    tags = std::make_shared<const std::vector<std::string>>(std::move(fetched));
  }
  std::vector<Version> versions;
  for (const std::string& tag : *tags)
    if (auto v = version_from_tag(tag)) versions.push_back(std::move(*v));
  if (versions.empty()) return send(sink, json_error(404, "no such provider or version in this mirror"));
  std::sort(versions.begin(), versions.end(),
            [](const Version& a, const Version& b) { return compare_versions(a, b) < 0; });
  JsonPtr doc = json_new_object();
  cJSON* listed = json_add(doc.get(), "versions", json_new_object());
  for (const Version& v : versions) {
    std::string text = v.to_string();
    if (!cJSON_HasObjectItem(listed, text.c_str())) json_add(listed, text.c_str(), json_new_object());
  }
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
  std::string repo_key = cache_prefix(authorization) + provider.repository;
  std::unique_ptr<OciReader> client = open_origin(endpoint_, auth_, authorization, stats);

  // Tag -> digest (short TTL), then the release manifest by digest (kept).
  std::string tag = version_to_tag(*version);
  std::shared_ptr<const std::string> top;
  if (auto digest = cache_.tag_digest(repo_key + ":" + tag)) {
    top = cache_.manifest(repo_key + "@" + *digest);
    if (top) ++stats.cache_hits;
  }
  std::string top_media_type;
  if (!top) {
    FetchedManifest fetched = client->get_manifest(provider.repository, tag);
    cache_.put_tag_digest(repo_key + ":" + tag, fetched.digest);
    top_media_type = fetched.media_type;
    top = std::make_shared<const std::string>(fetched.body);
    cache_.put_manifest(repo_key + "@" + fetched.digest, std::move(fetched.body));
  }
  ReleaseManifest release = parse_release_manifest(*top, top_media_type);

  std::vector<PlatformPackage> packages = std::move(release.packages);
  if (release.layout == ReleaseManifest::Layout::kOpenTofu) {
    std::vector<std::shared_ptr<const std::string>> bodies(release.platform_manifests.size());
    std::vector<std::string> missing;
    std::vector<size_t> missing_at;
    for (size_t i = 0; i < release.platform_manifests.size(); ++i) {
      bodies[i] = cache_.manifest(repo_key + "@" + release.platform_manifests[i].digest);
      if (bodies[i]) {
        ++stats.cache_hits;
      } else {
        missing.push_back(release.platform_manifests[i].digest);
        missing_at.push_back(i);
      }
    }
    if (!missing.empty()) {
      std::vector<FetchedManifest> fetched = client->get_manifests(provider.repository, missing);
      for (size_t j = 0; j < fetched.size(); ++j) {
        bodies[missing_at[j]] = std::make_shared<const std::string>(fetched[j].body);
        cache_.put_manifest(repo_key + "@" + fetched[j].digest, std::move(fetched[j].body));
      }
    }
    for (size_t i = 0; i < bodies.size(); ++i)
      packages.push_back(parse_platform_manifest(*bodies[i], release.platform_manifests[i]));
  }

  // Proxied URLs expire on a coarse grid so the document (and its ETag) stays the same for a while.
  const std::int64_t ttl = std::max<std::int64_t>(server_.package_url_ttl.count(), 60);
  const std::int64_t step = std::max<std::int64_t>(ttl / 4, 1);
  const std::int64_t expires_at = ((std::time(nullptr) + ttl) / step + 1) * step;
  const bool proxied = config_.proxy_packages && sealer_ != nullptr;

  std::sort(packages.begin(), packages.end(), [](const PlatformPackage& a, const PlatformPackage& b) {
    return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
  });
  JsonPtr doc = json_new_object();
  cJSON* archives = json_add(doc.get(), "archives", json_new_object());
  std::string etag_source = identity + "\n" + (proxied ? std::to_string(expires_at) : std::string("direct")) + "\n";
  for (const PlatformPackage& p : packages) {
    std::string platform = p.os + "_" + p.arch;
    std::string url;
    if (proxied) {
      DownloadGrant grant{config_.name, provider.repository, p.digest, expires_at, authorization};
      url = request.mount + "/" + config_.name + "/" + kPackagesSegment + "/" + p.digest + "/terraform-provider-" +
            provider.type + "_" + version->to_string() + "_" + platform + ".zip?token=" + sealer_->seal(grant);
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
  if (sealer_ == nullptr || !config_.proxy_packages)
    return send(sink, json_error(404, "this mirror does not proxy package downloads"));
  std::string token = query_param(request.query, "token");
  TokenSealer::Opened opened = sealer_->open(token, std::time(nullptr));
  if (!opened.grant) {
    std::string why = opened.error == TokenError::kExpired ? "this download link has expired; ask the mirror again"
                                                           : "this download link is not valid";
    return send(sink, json_error(403, why));
  }
  const DownloadGrant& grant = *opened.grant;
  if (grant.service != config_.name || grant.digest != digest)
    return send(sink, json_error(403, "this download link is not valid"));

  std::unique_ptr<OciReader> client = open_origin(endpoint_, auth_, grant.authorization, stats);
  Headers headers;
  headers.set("Content-Type", "application/zip");
  headers.set("Cache-Control", "private, max-age=86400, immutable");
  headers.set("ETag", "\"" + digest + "\"");
  try {
    if (request.method == "HEAD") {
      BlobInfo info = client->head_blob(grant.repository, digest);
      if (info.size >= 0) headers.set("Content-Length", std::to_string(info.size));
      sink.start(200, headers);
      return;
    }
    client->stream_blob(
        grant.repository, digest,
        [&](const BlobInfo& info) {
          if (info.size >= 0) headers.set("Content-Length", std::to_string(info.size));
          sink.start(200, headers);
          return true;
        },
        [&](std::string_view chunk) { return sink.write(chunk); });
  } catch (const RegistryError& e) {
    std::string message = config_.name + ": download failed: " + e.what();
    // Once bytes are flowing the only honest signal left is to end the body short.
    if (sink.started()) {
      log_error(message + "; the response was cut short");
      return;
    }
    log_warning(message);
    send(sink, json_error(e.http_status(), e.failure() == RegistryFailure::kNotFound
                                                                    ? "package not found in the registry"
                                                                    : e.what()));
  }
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
