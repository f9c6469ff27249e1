// Proxied package downloads, shared by every service:
//   GET|HEAD <mount>/<service>/_packages/<digest>/<file name>?token=<sealed DownloadGrant>
// The token (server/sealed_token.h) binds the service, repository, digest, expiry and the caller's
// Authorization header, so the client needs no credentials of its own here (Terraform sends none).
// The blob is streamed in constant memory with its digest checked (oci/reader.h).
#pragma once

#include <cstdint>
#include <string>

#include "http/message.h"
#include "http/request_stats.h"
#include "oci/client.h"
#include "oci/origin.h"
#include "server/sealed_token.h"

namespace otr {

inline constexpr const char* kPackagesSegment = "_packages";

// Expiry for sealed URLs issued at `now` (unix seconds): `ttl` ahead (at least a minute), rounded
// up to a quarter of it, so documents listing such URLs (and their ETags) stay the same for a while.
std::int64_t sealed_url_expiry(std::int64_t ttl_seconds, std::int64_t now);

// The URL path of a proxied download of `digest` from `repository`, ending in `filename`.
std::string sealed_download_path(const TokenSealer& sealer, const Request& request, const std::string& service,
                                 const std::string& repository, const std::string& digest,
                                 const std::string& filename, std::int64_t expires_at);

// Answers a _packages request for `service` at time `now`: 404 when `sealer` is null (the service
// does not proxy downloads), 403 for a bad, foreign, expired or other-purpose token; else the blob,
// read from `endpoint` through `origins` with the sealed Authorization. The origin's failures are
// thrown (Error); once bytes flow, a failure ends the body short. `content_type` is sent with the bytes.
//
// With `offload` (ServiceConfig::download_offload) and the web server it needs (SERVER_SOFTWARE
// nginx for X-Accel-Redirect, lighttpd or Apache for X-Sendfile), a GET is answered with no body and
// a header that makes the web server send the bytes itself: X-Accel-Redirect to
// `offload_location` + "/<repository>/blobs/<digest>" with the registry's Authorization in
// X-Registry-Authorization (the internal location proxies to the registry with it; nginx never
// passes it on), or to `offload_location` + "/blobs/<algorithm>/<hex>" for a layout; X-Sendfile with
// the layout's blob file. An X-Accel-Redirect answer carries no Cache-Control: nginx would keep it
// for the internal location's answer whatever its status, so the shipped location sets it by status
// (conf/nginx-download-offload.conf). The digest check is then the client's (zh:/h1: in its lock file). Behind
// another web server the download is streamed as without offload (and a warning logged once).
void serve_sealed_download(const Request& request, const std::string& service, const std::string& digest,
                           const TokenSealer* sealer, std::int64_t now, OriginFactory& origins,
                           const RegistryEndpoint& endpoint, const std::string& content_type, ResponseSink& sink,
                           RequestStats& stats, DownloadOffload offload = DownloadOffload::kNone,
                           const std::string& offload_location = "");

}  // namespace otr
