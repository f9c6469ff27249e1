// The Provider Network Mirror Protocol for one provider_mirror block, answered from OCI.
//
//   GET  <svc>/                                      HTML page with the CLI configuration snippet
//   GET  <svc>/<host>/<namespace>/<type>/index.json  {"versions":{...}} from the repository's tags
//   GET  <svc>/<host>/<namespace>/<type>/<ver>.json  {"archives":{...}} from the release manifests
//   GET|HEAD <svc>/_packages/<digest>/<file>.zip?token=...   proxied download (proxy_packages)
//
// Repository: <name_prefix>/<host>/<namespace>/<type> (host ':' written '_', see oci_names.h),
// after host_aliases. Thread-safe: one instance serves every thread of a worker process.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "http/message.h"
#include "server/metadata_cache.h"
#include "oci/client.h"
#include "oci/auth.h"
#include "http/request_stats.h"
#include "server/sealed_token.h"

namespace otr {

class ProviderMirrorService {
 public:
  // `sealer` may be null when the server has no query_string_secret (then proxy_packages is off).
  ProviderMirrorService(const ProviderMirrorConfig& config, const ServerConfig& server, MetadataCache& cache,
                        AuthCache& auth, const TokenSealer* sealer);

  const std::string& name() const { return config_.name; }

  // `segments`: the decoded path segments after the service name; `trailing_slash` as in
  // RequestPath. Registry failures are answered with the mapped status and a JSON error body.
  void handle(const Request& request, const std::vector<std::string>& segments, bool trailing_slash,
              ResponseSink& sink, RequestStats& stats) const;

 private:
  struct Provider;  // a parsed <host>/<namespace>/<type>
  void serve_index(const Request& request, const Provider& provider, ResponseSink& sink, RequestStats& stats) const;
  void serve_version(const Request& request, const Provider& provider, const std::string& version,
                     ResponseSink& sink, RequestStats& stats) const;
  void serve_download(const Request& request, const std::string& digest, ResponseSink& sink,
                      RequestStats& stats) const;
  void serve_page(const Request& request, ResponseSink& sink) const;

  ProviderMirrorConfig config_;
  RegistryEndpoint endpoint_;
  const ServerConfig& server_;
  MetadataCache& cache_;
  AuthCache& auth_;
  const TokenSealer* sealer_;
};

}  // namespace otr
