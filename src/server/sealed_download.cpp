#include "server/sealed_download.h"

#include <algorithm>
#include <atomic>
#include <string_view>

#include "http/byte_range.h"
#include "base/log.h"
#include "base/strings.h"
#include "http/responses.h"

namespace otr {

std::int64_t sealed_url_expiry(std::int64_t ttl_seconds, std::int64_t now) {
  const std::int64_t ttl = std::max<std::int64_t>(ttl_seconds, 60);
  const std::int64_t step = std::max<std::int64_t>(ttl / 4, 1);
  return ((now + ttl) / step + 1) * step;
}

namespace {

// A package's bytes never change under their digest.
constexpr const char* kPackageCaching = "private, max-age=86400, immutable";

// Whether the web server in front (SERVER_SOFTWARE) acts on `offload`'s header: anywhere else the
// header would reach the client (with registry credentials, for X-Accel-Redirect).
bool web_server_offloads(DownloadOffload offload, const std::string& server_software) {
  const std::string software = to_lower(server_software);
  if (offload == DownloadOffload::kAccelRedirect) return software.starts_with("nginx");
  if (offload == DownloadOffload::kSendfile) return software.starts_with("lighttpd") || software.starts_with("apache");
  return false;
}

}  // namespace

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
                           RequestStats& stats, DownloadOffload offload, const std::string& offload_location) {
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
  const std::string etag = "\"" + digest + "\"";
  Headers headers;
  headers.set("Content-Type", content_type);
  headers.set("ETag", etag);
  headers.set("Accept-Ranges", "bytes");
  const std::string range_header = request.headers.get("Range"), if_range = request.headers.get("If-Range");
  // The status and length for a body of `size` bytes, with the range asked for; false when the
  // range cannot be served (416 sent).
  ByteRange range;
  const auto start = [&](std::int64_t size) {
    range = parse_byte_range(range_header, if_range, etag, size);
    if (range.kind == ByteRange::Kind::kUnsatisfiable) {
      Response r = json_error(416, "the range asked for starts beyond the package's " + std::to_string(size) + " bytes");
      r.headers.set("Content-Range", content_range(range, size));
      send(sink, r);
      return false;
    }
    if (range.kind == ByteRange::Kind::kPart) {
      headers.set("Content-Range", content_range(range, size));
      headers.set("Content-Length", std::to_string(range.length()));
      sink.start(206, headers);
      return true;
    }
    if (size >= 0) headers.set("Content-Length", std::to_string(size));
    sink.start(200, headers);
    return true;
  };
  if (offload != DownloadOffload::kNone && request.method == "GET") {
    if (web_server_offloads(offload, request.server_software)) {
      std::optional<BlobInfo> info = origin->find_blob(grant.repository, digest);  // and the registry's challenge
      if (!info) return send(sink, json_error(404, "package not found in the registry"));
      // A range beyond the end is answered here, as without offload: nginx's own 416 from a file
      // would keep a package's caching, and docker-registry's declares a length it never sends.
      if (info->size >= 0 &&
          parse_byte_range(range_header, if_range, etag, info->size).kind == ByteRange::Kind::kUnsatisfiable) {
        start(info->size);
        return;
      }
      OciReader::BlobSource source = origin->blob_source(grant.repository, digest);
      const size_t colon = digest.find(':');
      if (!source.file.empty() && offload == DownloadOffload::kSendfile) {
        headers.set("X-Sendfile", source.file);
      } else if (!source.file.empty()) {
        headers.set("X-Accel-Redirect",
                    offload_location + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1));
      } else if (offload == DownloadOffload::kAccelRedirect) {
        headers.set("X-Accel-Redirect", offload_location + "/" + grant.repository + "/blobs/" + digest);
        if (!source.authorization.empty()) headers.set("X-Registry-Authorization", source.authorization);
      }
      // nginx would keep this answer's Cache-Control for whatever its internal location answers, a 404
      // or 401 from the registry included: there it is set by status (conf/), here only for X-Sendfile.
      if (!headers.has("X-Accel-Redirect")) headers.set("Cache-Control", kPackageCaching);
      sink.start(200, headers);  // no body: the web server sends the bytes, with their length
      return;
    }
    static std::atomic<bool> warned[2] = {false, false};  // once per process and kind of offload
    if (!warned[offload == DownloadOffload::kAccelRedirect ? 0 : 1].exchange(true))
      log_warning(std::string("download_offload = \"") +
                  (offload == DownloadOffload::kAccelRedirect ? "x-accel-redirect\" needs nginx"
                                                              : "x-sendfile\" needs lighttpd or Apache") +
                  " in front, but the web server is \"" + request.server_software +
                  "\": downloads are streamed by this program instead");
  }
  headers.set("Cache-Control", kPackageCaching);  // on the bytes only: an error is answered without it
  if (request.method == "HEAD") {
    std::optional<BlobInfo> info = origin->find_blob(grant.repository, digest);
    if (!info) return send(sink, json_error(404, "package not found in the registry"));
    start(info->size);
    return;
  }
  // A part is cut out of the whole blob as it streams by, so that the digest is still checked: the
  // blob is read to its end, and the part's last piece is held back until the check has passed.
  std::int64_t offset = 0;
  std::string held;
  origin->stream_blob(
      grant.repository, digest, [&](const BlobInfo& info) { return start(info.size); },
      [&](std::string_view chunk) {
        if (range.kind != ByteRange::Kind::kPart) return sink.write(chunk);
        const std::int64_t begin = offset, end = offset + static_cast<std::int64_t>(chunk.size());  // [begin, end)
        offset = end;
        const std::int64_t from = std::max(begin, range.first), to = std::min(end, range.last + 1);
        if (from >= to) return true;  // outside the part: read on for the digest
        if (!held.empty() && !sink.write(held)) return false;
        held.assign(chunk.substr(static_cast<std::size_t>(from - begin), static_cast<std::size_t>(to - from)));
        return true;
      });
  if (!held.empty()) sink.write(held);
}

}  // namespace otr
