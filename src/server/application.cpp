#include "server/application.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "base/error.h"
#include "base/log.h"
#include "http/authorization.h"
#include "http/request_path.h"
#include "http/responses.h"
#include "server/access.h"
#include "server/module_registry_service.h"
#include "server/provider_mirror_service.h"
#include "server/provider_registry_service.h"
#include "terraform/documents.h"

namespace otr {

namespace {

constexpr const char* kHealthz = "healthz";
constexpr const char* kWellKnown = ".well-known";
constexpr const char* kMetrics = "metrics";

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

// 16 hex digits for requests the web server gave no id: errors name it, the access log shows it.
std::string new_request_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(generator()));
  return text;
}

}  // namespace

RegistryApp::RegistryApp(const Config& config, const Clock& clock, HttpTransport& transport, PoolMetrics& metrics)
    : metrics_(metrics),
      metered_(transport, metrics),
      cache_(config.server.tags_cache_ttl, config.server.manifest_cache_bytes, clock,
             {config.server.stale_while_revalidate, config.server.stale_if_error}),
      auth_(clock),
      origins_(auth_, metered_),
      upstream_slots_(UpstreamSlots::waiting_for(config.server.worker_threads), UpstreamSlots::kMaxImports, metrics),
      context_{config.server, cache_, nullptr, clock, origins_, metered_, upstream_slots_} {
  if (!config.server.query_string_secret.empty()) {
    sealer_.emplace(config.server.query_string_secret, config.server.retired_query_string_secrets);
    context_.sealer = &*sealer_;
  }
  for (const ProviderMirrorConfig& c : config.provider_mirrors)
    services_.emplace(c.name, std::make_unique<ProviderMirrorService>(c, context_));
  for (const ProviderRegistryConfig& c : config.provider_registries) {
    services_.emplace(c.name, std::make_unique<ProviderRegistryService>(c, context_));
    provider_registry_ = c.name;
  }
  for (const ModuleRegistryConfig& c : config.module_registries) {
    services_.emplace(c.name, std::make_unique<ModuleRegistryService>(c, context_));
    module_registry_ = c.name;
  }
}

std::vector<std::string> RegistryApp::top_level_names() const {
  std::vector<std::string> names{kHealthz, kWellKnown};
  if (context_.server.metrics) names.push_back(kMetrics);
  for (const auto& [name, service] : services_) names.push_back(name);
  return names;
}

void RegistryApp::handle(const Request& given, ResponseSink& sink) {
  auto started = std::chrono::steady_clock::now();
  Request request = given;
  if (request.request_id.empty()) request.request_id = new_request_id();
  MeteredSink metered(sink);
  RequestStats stats;
  metrics_.request_started();
  try {
    route(request, metered, stats);
  } catch (const std::exception& e) {  // a bug: answered like every error, as a 500
    if (!metered.started()) send(metered, error_response(Error(ErrorKind::kInternal, e.what()), request, ""));
    else log_error(std::string("request failed: ") + e.what() + "; the response was cut short");
  }
  if (!metered.started()) send(metered, error_response(Error(ErrorKind::kInternal, "no response"), request, ""));
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - started;
  const std::string& path = request.path;
  const std::string service = path.size() > 1 ? path.substr(1, path.find('/', 1) - 1) : std::string();
  metrics_.request_finished(service, request_kind(path), metered.status(), elapsed.count() / 1000, metered.bytes());
  metrics_.cache(stats.cache_hits, stats.registry_calls, stats.stale, stats.shared);
  log_access({request.method, request.path, metered.status(), metered.bytes(), elapsed.count(),
              stats.registry_calls, stats.cache_hits, stats.stale, stats.shared, request.request_id});
}

void RegistryApp::serve_metrics(const Request& request, ResponseSink& sink) const {
  const ServerConfig& server = context_.server;
  std::string authorization = request.headers.get("Authorization");
  const bool token_ok = !server.metrics_token.empty() && authorization.starts_with("Bearer ") &&
                        secrets_equal(authorization.substr(7), server.metrics_token);
  if (!token_ok && !address_in(request.remote_addr, server.metrics_allow))
    return send(sink, json_error(403, "metrics are answered to the addresses in metrics_allow, or with the metrics "
                                      "token"));
  Response r;
  r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.body = metrics_.render(process_metrics_shared() ? 0 : ::getpid());
  send(sink, r);
}

void RegistryApp::route(const Request& request, ResponseSink& sink, RequestStats& stats) const {
  if (!request.bad_request.empty()) return send(sink, json_error(400, request.bad_request));
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = json_error(405, "only GET and HEAD are supported");
    r.headers.set("Allow", "GET, HEAD");
    return send(sink, r);
  }
  RequestPath path = split_request_path(request.path);
  if (path.status != 200) return send(sink, json_error(path.status, path.problem));
  // The caller's credentials go to the registry as they came: what is malformed is refused here,
  // on every route, before any registry call (a registry's 400 for it would be no fault of its own).
  AuthorizationCheck credentials = check_authorization(request.headers.get("Authorization"));
  if (credentials.status != 200) return send(sink, json_error(credentials.status, credentials.problem));
  if (path.segments.size() == 1 && path.segments[0] == kHealthz) {
    Response r;
    r.headers.set("Content-Type", "application/json");
    r.headers.set("Cache-Control", "no-store");
    r.body = "{\"status\":\"ok\"}\n";
    return send(sink, r);
  }
  if (path.segments.size() == 1 && path.segments[0] == kMetrics && !path.trailing_slash &&
      context_.server.metrics)
    return serve_metrics(request, sink);
  if (path.segments.size() == 2 && path.segments[0] == kWellKnown && path.segments[1] == "terraform.json" &&
      !path.trailing_slash)
    return serve_discovery(request, sink);
  auto found = path.segments.empty() ? services_.end() : services_.find(path.segments[0]);
  if (found == services_.end()) return serve_unknown(path.segments, sink);
  const Service& service = *found->second;
  ServicePath rest{std::vector<std::string>(path.segments.begin() + 1, path.segments.end()), path.trailing_slash};
  try {
    service.handle(request, rest, sink, stats);
  } catch (const Error& e) {
    // Once bytes are flowing the only honest signal left is to end the body short.
    if (sink.started()) {
      log_error(service.name() + ": " + e.what() + "; the response was cut short (request id " + request.request_id +
                ")");
      return;
    }
    send(sink, error_response(e, request, service.name()));
  }
}

void RegistryApp::serve_discovery(const Request& request, ResponseSink& sink) const {
  if (provider_registry_.empty() && module_registry_.empty())
    return send(sink, json_error(404, "this host serves no provider or module registry"));
  std::string providers = provider_registry_.empty() ? "" : request.mount + "/" + provider_registry_ + "/";
  std::string modules = module_registry_.empty() ? "" : request.mount + "/" + module_registry_ + "/";
  std::string body = discovery_document(providers, modules);
  send(sink, json_document(request, std::move(body), std::chrono::seconds(300)));
}

void RegistryApp::serve_unknown(const std::vector<std::string>& segments, ResponseSink& sink) const {
  std::string listed;
  for (const auto& [name, service] : services_) listed += (listed.empty() ? "/" : ", /") + name + "/";
  std::string message = "no service here; configured services: " + (listed.empty() ? std::string("none") : listed);
  // A prefix the web server did not split off ("/tf/mirror/..." behind nginx's plain fastcgi_params).
  for (size_t i = 1; i < segments.size(); ++i) {
    if (services_.find(segments[i]) == services_.end()) continue;
    std::string prefix;
    for (size_t j = 0; j < i; ++j) prefix += "/" + segments[j];
    message += "; to mount the application under " + prefix + ", have the web server split the path there "
               "(nginx: fastcgi_split_path_info ^(" + prefix + ")(/.*)$; and fastcgi_param PATH_INFO $fastcgi_path_info;)";
    break;
  }
  send(sink, json_error(404, message));
}

}  // namespace otr
