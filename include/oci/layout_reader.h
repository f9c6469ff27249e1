// OCI Image Layout directories (image-spec "image-layout.md") that hold many repositories, for
// air-gapped mirrors: `push --to oci-layout:DIR` writes one, a service with
// origin_url = "file:///DIR" serves from one.
//
//   DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
//   DIR/blobs/sha256/<hex>  every blob and manifest, by digest, shared by all repositories
//   DIR/index.json          an image index; each tagged manifest is a descriptor annotated
//                           org.opencontainers.image.ref.name = "<repository>:<tag>"
// Manifests that no tag names (a provider's platform manifests) are blobs only. Descriptors whose
// ref.name has no repository part (a single-repository layout written by other tools) are ignored.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "oci/reader.h"

namespace otr {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

// "<repository>:<tag>".
std::string layout_ref_name(const std::string& repository, const std::string& tag);

// Reads a layout (the writer is OciLayoutTarget, oci/layout_writer.h). Cheap to create (per
// request); index.json is read when a tag is asked for.
// A directory without blobs/ is an empty layout; otherwise a missing or malformed index.json is
// kUnreachable/kBadResponse; an unknown repository, tag or
// blob is nullopt from the find_* methods and kNotFound from get_manifests and stream_blob.
// Not thread-safe: one reader per request.
class OciLayoutReader : public OciReader {
 public:
  OciLayoutReader(std::string directory, std::size_t max_manifest_bytes = 4u << 20);

  // The repositories index.json tags (never nullopt: a layout always has its catalog).
  std::optional<RepositoryPage> find_repositories(const std::string& prefix, const std::string& after,
                                                  std::size_t limit) override;
  std::optional<std::vector<std::string>> find_tags(const std::string& repository) override;
  std::optional<FetchedManifest> find_manifest(const std::string& repository, const std::string& reference,
                                               std::size_t max_bytes) override;
  std::vector<FetchedManifest> get_manifests(const std::string& repository, const std::vector<std::string>& references,
                                             std::size_t max_bytes) override;
  std::optional<BlobInfo> find_blob(const std::string& repository, const std::string& digest) override;
  void stream_blob(const std::string& repository, const std::string& digest,
                   const std::function<bool(const BlobInfo&)>& on_start,
                   const std::function<bool(std::string_view)>& on_data) override;
  std::string blob_url(const std::string&, const std::string&) const override { return {}; }
  BlobSource blob_source(const std::string&, const std::string& digest) override { return {"", blob_path(digest)}; }

  // The path of a blob (throws kNotFound for a text that is not a digest).
  std::string blob_path(const std::string& digest) const;

 private:
  struct Tagged {
    std::string tag;
    std::string digest;
  };
  struct Ref {
    std::string repository;
    Tagged tagged;
  };
  std::vector<Ref> refs();  // every "<repository>:<tag>" of index.json (reads and parses it)
  std::vector<Tagged> tags_of(const std::string& repository);
  // `reference` itself when it is a digest, else the digest `tags` give it ("" when none).
  static std::string digest_of(const std::vector<Tagged>& tags, const std::string& reference);
  // The manifest blob `digest` names, verified; nullopt when there is none ("" included).
  std::optional<FetchedManifest> manifest_at(const std::string& digest, std::size_t max_bytes);

  std::string directory_;
  std::size_t max_manifest_bytes_;
};

}  // namespace otr
