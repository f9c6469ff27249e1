// Reading OCI content for the mirror: tags, manifests and blobs of a repository. Two
// implementations: OciClient (a registry over HTTP, oci_client.h) and OciLayoutReader (an OCI
// Image Layout directory on disk, oci_layout.h); open_origin() picks one by the origin's URL.
// Every failure is thrown as Error (kNotFound for unknown repositories, tags, blobs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace otr {

struct FetchedManifest {
  std::string digest;      // verified "sha256:..." of body
  std::string media_type;  // from Content-Type, else the body's mediaType
  std::string body;
};

struct BlobInfo {
  std::int64_t size = -1;  // -1 when the registry did not say
  std::string content_type;
};

class OciReader {
 public:
  virtual ~OciReader() = default;
  // Every tag of the repository. Unknown repository -> kNotFound.
  virtual std::vector<std::string> list_tags(const std::string& repository) = 0;
  // A manifest or index by tag or digest; when `reference` is a digest the body must match it. A
  // body over `max_bytes` (or the origin's own max_manifest_bytes, whichever is smaller) is
  // kBadResponse and is never held whole.
  virtual FetchedManifest get_manifest(const std::string& repository, const std::string& reference,
                                       std::size_t max_bytes) = 0;
  // Several manifests by tag or digest, fetched concurrently where the origin can; same order as
  // `references`. The first failure is thrown.
  virtual std::vector<FetchedManifest> get_manifests(const std::string& repository,
                                                     const std::vector<std::string>& references,
                                                     std::size_t max_bytes) = 0;
  virtual BlobInfo head_blob(const std::string& repository, const std::string& digest) = 0;
  // Streams a blob: `on_start` before any byte (false stops), `on_data` per chunk (false stops
  // quietly). The last chunk is held back until the digest is verified; on a mismatch it is never
  // delivered and kBadResponse is thrown.
  virtual void stream_blob(const std::string& repository, const std::string& digest,
                           const std::function<bool(const BlobInfo&)>& on_start,
                           const std::function<bool(std::string_view)>& on_data) = 0;
  // A URL a client may download the blob from directly; "" when there is none (a layout on disk:
  // downloads go through this server).
  virtual std::string blob_url(const std::string& repository, const std::string& digest) const = 0;
};

}  // namespace otr
