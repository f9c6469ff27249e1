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
void serve_sealed_download(const Request& request, const std::string& service, const std::string& digest,
                           const TokenSealer* sealer, std::int64_t now, OriginFactory& origins,
                           const RegistryEndpoint& endpoint, const std::string& content_type, ResponseSink& sink,
                           RequestStats& stats);

}  // namespace otr
