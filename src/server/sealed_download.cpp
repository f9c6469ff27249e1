#include "server/sealed_download.h"

#include <algorithm>
#include <string_view>

#include "http/responses.h"

namespace otr {

std::int64_t sealed_url_expiry(std::int64_t ttl_seconds, std::int64_t now) {
  const std::int64_t ttl = std::max<std::int64_t>(ttl_seconds, 60);
  const std::int64_t step = std::max<std::int64_t>(ttl / 4, 1);
  return ((now + ttl) / step + 1) * step;
}

std::string sealed_download_path(const TokenSealer& sealer, const Request& request, const std::string& service,
                                 const std::string& repository, const std::string& digest,
                                 const std::string& filename, std::int64_t expires_at) {
  DownloadGrant grant{TokenPurpose::kPackage, service, repository, digest, expires_at,
                      request.headers.get("Authorization")};
  return request.mount + "/" + service + "/" + kPackagesSegment + "/" + digest + "/" + filename +
         "?token=" + sealer.seal(grant);
}

void serve_sealed_download(const Request& request, const std::string& service, const std::string& digest,
                           const TokenSealer* sealer, std::int64_t now, OriginFactory& origins,
                           const RegistryEndpoint& endpoint, const std::string& content_type, ResponseSink& sink,
                           RequestStats& stats) {
  if (sealer == nullptr) return send(sink, json_error(404, "this service does not proxy package downloads"));
  TokenSealer::Opened opened = sealer->open(query_param(request.query, "token"), TokenPurpose::kPackage, now);
  if (!opened.grant) {
    std::string why = opened.error == TokenError::kExpired ? "this download link has expired; ask the registry again"
                                                           : "this download link is not valid";
    return send(sink, json_error(403, why));
  }
  const DownloadGrant& grant = *opened.grant;
  if (grant.service != service || grant.digest != digest)
    return send(sink, json_error(403, "this download link is not valid"));

  std::unique_ptr<OciReader> origin = origins.open(endpoint, grant.authorization, stats);
  Headers headers;
  headers.set("Content-Type", content_type);
  headers.set("Cache-Control", "private, max-age=86400, immutable");
  headers.set("ETag", "\"" + digest + "\"");
  if (request.method == "HEAD") {
    std::optional<BlobInfo> info = origin->find_blob(grant.repository, digest);
    if (!info) return send(sink, json_error(404, "package not found in the registry"));
    if (info->size >= 0) headers.set("Content-Length", std::to_string(info->size));
    sink.start(200, headers);
    return;
  }
  origin->stream_blob(
      grant.repository, digest,
      [&](const BlobInfo& info) {
        if (info.size >= 0) headers.set("Content-Length", std::to_string(info.size));
        sink.start(200, headers);
        return true;
      },
      [&](std::string_view chunk) { return sink.write(chunk); });
}

}  // namespace otr
