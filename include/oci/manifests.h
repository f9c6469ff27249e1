// OCI media types, and the documents `push` writes (see README "Repository layout in the registry"):
// an image manifest with an empty config and one archive/zip layer (a provider platform or a module
// package), and an image index of platform manifests. Keys keep their insertion order, so the same
// input always gives the same bytes. What the artifact types mean is terraform/'s business.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>


namespace otr {

inline constexpr const char* kIndexMediaType = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kZipLayerMediaType = "archive/zip";
inline constexpr const char* kEmptyConfigMediaType = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kEmptyConfigData = "{}";
inline constexpr const char* kEmptyConfigDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

inline constexpr const char* kTitleAnnotation = "org.opencontainers.image.title";
inline constexpr const char* kVersionAnnotation = "org.opencontainers.image.version";
inline constexpr const char* kCreatedAnnotation = "org.opencontainers.image.created";
inline constexpr const char* kSourceAnnotation = "org.opencontainers.image.source";

using Annotations = std::vector<std::pair<std::string, std::string>>;  // in order; empty values are left out

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::int64_t size = 0;
};

// An image manifest (application/vnd.oci.image.manifest.v1+json) of `artifact_type` whose config is
// the empty descriptor and whose single layer is `zip` (media type archive/zip).
std::string zip_artifact_manifest(const std::string& artifact_type, const Descriptor& zip,
                                  const Annotations& layer_annotations, const Annotations& annotations);

// A layer of an artifact manifest, with its own annotations.
struct Layer {
  Descriptor blob;
  Annotations annotations;
};

// An image manifest of `artifact_type` with the empty config and `layers`, in the given order.
std::string artifact_manifest(const std::string& artifact_type, const std::vector<Layer>& layers,
                              const Annotations& annotations);

// A descriptor in an image index that is not a platform (signatures, checksums, SBOMs).
struct ArtifactEntry {
  std::string artifact_type;
  Descriptor manifest;
};

struct PlatformEntry {
  std::string os;
  std::string arch;
  Descriptor manifest;  // the platform's image manifest
};

// An image index of `artifact_type` with one descriptor per platform (each of
// `platform_artifact_type`, with its os and architecture), in the given order.
// `extra` descriptors follow the platforms, in the given order.
std::string platform_index(const std::string& artifact_type, const std::string& platform_artifact_type,
                           const std::vector<PlatformEntry>& platforms, const Annotations& annotations,
                           const std::vector<ArtifactEntry>& extra = {});



}  // namespace otr
