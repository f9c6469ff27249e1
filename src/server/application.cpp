#include "server/application.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "base/log.h"
#include "terraform/documents.h"
#include "http/request_path.h"
#include "http/responses.h"

namespace otr {

namespace {

// Counts what reaches the client, for the access log.
class MeteredSink : public ResponseSink {
 public:
  explicit MeteredSink(ResponseSink& inner) : inner_(inner) {}
  void start(int status, const Headers& headers) override {
    status_ = status;
    inner_.start(status, headers);
  }
  bool write(std::string_view data) override {
    bool ok = inner_.write(data);
    if (ok) bytes_ += data.size();
    return ok;
  }
  bool started() const override { return inner_.started(); }
  int status() const { return status_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  ResponseSink& inner_;
  int status_ = 0;
  std::uint64_t bytes_ = 0;
};

constexpr const char* kHealthz = "healthz";

}  // namespace

RegistryApp::RegistryApp(const Config& config)
    : config_(config), cache_(config.server.tags_cache_ttl, config.server.manifest_cache_bytes) {
  if (!config.server.query_string_secret.empty())
    sealer_.emplace(config.server.query_string_secret, config.server.retired_query_string_secrets);
  const TokenSealer* sealer = sealer_ ? &*sealer_ : nullptr;
  for (const ProviderMirrorConfig& mirror : config.provider_mirrors)
    mirrors_.push_back(std::make_unique<ProviderMirrorService>(mirror, config.server, cache_, auth_, sealer));
  for (const ProviderRegistryConfig& registry : config.provider_registries)
    provider_registries_.push_back(
        std::make_unique<ProviderRegistryService>(registry, config.server, cache_, auth_, sealer));
  for (const ModuleRegistryConfig& registry : config.module_registries)
    module_registries_.push_back(std::make_unique<ModuleRegistryService>(registry, config.server, cache_, auth_, sealer));
}

std::vector<std::string> RegistryApp::top_level_names() const {
  std::vector<std::string> names{kHealthz, ".well-known"};
  for (const auto& m : mirrors_) names.push_back(m->name());
  for (const auto& r : provider_registries_) names.push_back(r->name());
  for (const auto& r : module_registries_) names.push_back(r->name());
  return names;
}

namespace {

// 16 hex digits for requests the web server gave no id: errors name it, the access log shows it.
std::string new_request_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(generator()));
  return text;
}

}  // namespace

void RegistryApp::handle(const Request& given, ResponseSink& sink) {
  auto started = std::chrono::steady_clock::now();
  Request request = given;
  if (request.request_id.empty()) request.request_id = new_request_id();
  MeteredSink metered(sink);
  RequestStats stats;
  try {
    route(request, metered, stats);
  } catch (const std::exception& e) {
    log_error(std::string("request failed: ") + e.what());
    if (!metered.started()) send(metered, json_error(500, "internal error"));
  }
  if (!metered.started()) send(metered, json_error(500, "internal error"));
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - started;
  log_access({request.method, request.path, metered.status(), metered.bytes(), elapsed.count(),
              stats.registry_calls, stats.cache_hits, request.request_id});
}

void RegistryApp::route(const Request& request, ResponseSink& sink, RequestStats& stats) {
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = json_error(405, "only GET and HEAD are supported");
    r.headers.set("Allow", "GET, HEAD");
    return send(sink, r);
  }
  if (!request.bad_request.empty()) return send(sink, json_error(400, request.bad_request));
  RequestPath path = split_request_path(request.path);
  if (path.status != 200) return send(sink, json_error(path.status, path.problem));
  if (path.segments.size() == 1 && path.segments[0] == kHealthz) {
    Response r;
    r.headers.set("Content-Type", "application/json");
    r.headers.set("Cache-Control", "no-store");
    r.body = "{\"status\":\"ok\"}\n";
    return send(sink, r);
  }
  if (path.segments.size() == 2 && path.segments[0] == ".well-known" && path.segments[1] == "terraform.json" &&
      !path.trailing_slash)
    return serve_discovery(request, sink);
  if (!path.segments.empty()) {
    std::vector<std::string> rest(path.segments.begin() + 1, path.segments.end());
    for (const auto& mirror : mirrors_)
      if (mirror->name() == path.segments[0]) return mirror->handle(request, rest, path.trailing_slash, sink, stats);
    for (const auto& registry : provider_registries_)
      if (registry->name() == path.segments[0]) return registry->handle(request, rest, path.trailing_slash, sink, stats);
    for (const auto& registry : module_registries_)
      if (registry->name() == path.segments[0]) return registry->handle(request, rest, path.trailing_slash, sink, stats);
  }
  std::vector<std::string> names = top_level_names();
  std::string listed;
  for (size_t i = 2; i < names.size(); ++i) listed += (listed.empty() ? "/" : ", /") + names[i] + "/";
  std::string message = "no service here; configured services: " + (listed.empty() ? std::string("none") : listed);
  // A prefix the web server did not split off ("/tf/mirror/..." behind nginx's plain fastcgi_params).
  for (size_t i = 1; i < path.segments.size(); ++i) {
    if (std::find(names.begin() + 2, names.end(), path.segments[i]) == names.end()) continue;
    std::string prefix;
    for (size_t j = 0; j < i; ++j) prefix += "/" + path.segments[j];
    message += "; to mount the application under " + prefix + ", have the web server split the path there "
               "(nginx: fastcgi_split_path_info ^(" + prefix + ")(/.*)$; and fastcgi_param PATH_INFO $fastcgi_path_info;)";
    break;
  }
  send(sink, json_error(404, message));
}

void RegistryApp::serve_discovery(const Request& request, ResponseSink& sink) const {
  if (provider_registries_.empty() && module_registries_.empty())
    return send(sink, json_error(404, "this host serves no provider or module registry"));
  std::string providers = provider_registries_.empty() ? "" : request.mount + "/" + provider_registries_[0]->name() + "/";
  std::string modules = module_registries_.empty() ? "" : request.mount + "/" + module_registries_[0]->name() + "/";
  std::string body = discovery_document(providers, modules);
  std::string etag_source = body;
  send(sink, json_document(request, std::move(body), etag_source, std::chrono::seconds(300)));
}

}  // namespace otr
