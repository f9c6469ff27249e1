// Reading OCI content: tags, manifests and blobs of a repository. Two implementations: OciClient
// (a registry over HTTP, oci/client.h) and OciLayoutReader (an OCI Image Layout directory,
// oci/layout_reader.h); an OriginFactory (oci/origin.h) picks one by the origin's URL.
//
// Where the question is "is it there?" the answer is a value: find_tags, find_manifest and
// find_blob return nullopt for what does not exist. What must exist (a manifest an index names, a
// blob being downloaded) is asked with get_manifests / stream_blob, and its absence is an
// Error(kNotFound). Every other failure is thrown as Error (base/error.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otr {

struct FetchedManifest {
  std::string digest;      // "sha256:..." of body, computed here (asked by digest, body matched that one)
  std::string media_type;  // from Content-Type, else the body's mediaType
  std::string body;
};

// One page of an origin's repository names (see OciReader::find_repositories).
struct RepositoryPage {
  std::vector<std::string> names;  // in name order
  std::string next;                // where the next page starts (pass as `after`); "" when this is the last
};

struct BlobInfo {
  std::int64_t size = -1;  // -1 when the registry did not say
  std::string content_type;
};

class OciReader {
 public:
  virtual ~OciReader() = default;
  // The repositories whose names start with `prefix` ("" = all), in name order, after `after`
  // ("" = from the start), at most `limit` of them. The work is bounded: a registry's catalog is
  // read a few pages at most per call, and `next` says where to go on. nullopt when the origin has
  // no catalog it lets this caller read (a registry answering /v2/_catalog 401, 403, 404 or
  // UNSUPPORTED); other failures are thrown.
  virtual std::optional<RepositoryPage> find_repositories(const std::string& prefix, const std::string& after,
                                                          std::size_t limit) = 0;
  // Every tag of the repository; nullopt when there is no such repository.
  virtual std::optional<std::vector<std::string>> find_tags(const std::string& repository) = 0;
  // A manifest or index by tag or digest, at most `max_bytes` (and the origin's own limit): a body
  // over it is kBadResponse and is never held whole. When `reference` is a digest the body must
  // match it. nullopt when the tag or digest does not exist.
  virtual std::optional<FetchedManifest> find_manifest(const std::string& repository, const std::string& reference,
                                                       std::size_t max_bytes) = 0;
  // Several manifests by tag or digest, fetched concurrently where the origin can; same order as
  // `references`. All must exist (kNotFound otherwise); the first failure is thrown.
  virtual std::vector<FetchedManifest> get_manifests(const std::string& repository,
                                                     const std::vector<std::string>& references,
                                                     std::size_t max_bytes) = 0;
  // What a blob is, without its bytes; nullopt when it does not exist.
  virtual std::optional<BlobInfo> find_blob(const std::string& repository, const std::string& digest) = 0;
  // Streams a blob: `on_start` before any byte (false stops), `on_data` per chunk (false stops
  // quietly). The last chunk is held back until the digest is verified; on a mismatch it is never
  // delivered and kBadResponse is thrown. A blob that does not exist is kNotFound.
  virtual void stream_blob(const std::string& repository, const std::string& digest,
                           const std::function<bool(const BlobInfo&)>& on_start,
                           const std::function<bool(std::string_view)>& on_data) = 0;
  // A URL a client may download the blob from directly; "" when there is none (a layout on disk:
  // downloads go through this server).
  virtual std::string blob_url(const std::string& repository, const std::string& digest) const = 0;

  // What a web server needs to send a blob itself (download offload): for a registry, the
  // Authorization header value this reader sends for `repository` ("" = none; ask after find_blob,
  // which answers the registry's challenge); for a layout on disk, the blob's file.
  struct BlobSource {
    std::string authorization;
    std::string file;
  };
  virtual BlobSource blob_source(const std::string& repository, const std::string& digest) = 0;

  // One manifest that must exist (kNotFound otherwise).
  FetchedManifest get_manifest(const std::string& repository, const std::string& reference, std::size_t max_bytes);
};

}  // namespace otr
