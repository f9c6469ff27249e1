// Reading provider releases out of OCI manifests, in both layouts we support
// (see README "Artifact layouts"):
//  - OpenTofu's: the version tag names an image index (artifactType
//    application/vnd.opentofu.provider) whose descriptors (artifactType
//    application/vnd.opentofu.provider-target) name one image manifest per platform, each with
//    exactly one "archive/zip" layer: the provider package.
//  - The original Go tool's: the tag names one image manifest whose layers
//    (application/vnd.hashicorp.terraform.provider-package+zip) carry the annotation
//    io.terraform.target-platforms = "linux_amd64,darwin_arm64".
// Malformed content throws Error(kBadResponse) naming what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oci/manifests.h"  // kIndexMediaType, kZipLayerMediaType, ...
#include "terraform/versions.h"

namespace otr {

inline constexpr const char* kProviderArtifactType = "application/vnd.opentofu.provider";
inline constexpr const char* kProviderTargetArtifactType = "application/vnd.opentofu.provider-target";
inline constexpr const char* kLegacyConfigMediaType = "application/vnd.hashicorp.terraform-provider.config.v1+json";
inline constexpr const char* kLegacyLayerMediaType = "application/vnd.hashicorp.terraform.provider-package+zip";
inline constexpr const char* kLegacyPlatformsAnnotation = "io.terraform.target-platforms";
// Where we keep Terraform's h1: hash of a package (on the platform manifest and its layer).
inline constexpr const char* kH1Annotation = "io.terraform.provider.package.h1";
// Plugin protocol versions of a release ("5.0,6.0"), on the index or legacy manifest; served by the
// provider registry protocol.
inline constexpr const char* kProtocolsAnnotation = "io.terraform.provider.protocols";
// A descriptor of this artifactType in a release index names the publisher's own signed checksums:
// an image manifest whose layers are the SHA256SUMS file (kShasumsMediaType), its binary detached
// OpenPGP signature (kShasumsSignatureMediaType) and the armored public key (kPublicKeyMediaType).
inline constexpr const char* kShasumsArtifactType = "application/vnd.terraform.provider.shasums";
inline constexpr const char* kShasumsMediaType = "text/plain";
inline constexpr const char* kShasumsSignatureMediaType = "application/pgp-signature";
inline constexpr const char* kPublicKeyMediaType = "application/pgp-keys";

struct PlatformPackage {
  std::string os;            // "linux"
  std::string arch;          // "amd64"
  std::string digest;        // the zip's digest, "sha256:<hex>"
  std::int64_t size = -1;    // bytes, from the descriptor
  std::string h1;            // "h1:<base64>", or "" when the artifact does not carry it
};

struct PlatformManifestRef {
  std::string os;
  std::string arch;
  std::string digest;  // of the platform's image manifest
};

// What a version tag points at.
struct ReleaseManifest {
  enum class Layout { kOpenTofu, kLegacy };
  Layout layout = Layout::kOpenTofu;
  std::vector<PlatformManifestRef> platform_manifests;  // kOpenTofu: still to be fetched
  std::vector<PlatformPackage> packages;                // kLegacy: complete
  std::vector<std::string> protocols;                   // from kProtocolsAnnotation ("6.0"); may be empty
  std::string shasums_manifest;                         // digest of a kShasumsArtifactType manifest, or ""
  std::string created;                                  // kCreatedAnnotation of the tagged manifest, or ""
  std::string source;                                   // kSourceAnnotation of the tagged manifest, or ""
};

// The publisher's signed checksums, from a kShasumsArtifactType manifest.
struct SignedShasumsRef {
  std::string shasums_digest;
  std::string signature_digest;
  std::string public_key_digest;
};
SignedShasumsRef parse_shasums_manifest(std::string_view body);

// `media_type` is what the registry said (may be ""); the body's own mediaType is used too.
ReleaseManifest parse_release_manifest(std::string_view body, std::string_view media_type);

// A module package in OpenTofu's layout: an image manifest (artifactType kModuleArtifactType) with
// exactly one archive/zip layer. Returns that layer's digest; throws Error(kBadResponse).
inline constexpr const char* kModuleArtifactType = "application/vnd.opentofu.modulepkg";
std::string parse_module_manifest(std::string_view body);

// The package inside one platform manifest of the OpenTofu layout.
PlatformPackage parse_platform_manifest(std::string_view body, const PlatformManifestRef& ref);

// What a version tag says without opening the platform manifests.
struct ReleaseSummary {
  Version version;
  std::vector<std::pair<std::string, std::string>> platforms;  // (os, arch), sorted
  std::vector<std::string> protocols;                          // from kProtocolsAnnotation; may be empty
};

// A whole release: every platform's package.
struct Release {
  std::string digest;                     // of the manifest the tag names
  std::vector<PlatformPackage> packages;  // sorted by (os, arch)
  std::vector<std::string> protocols;     // from kProtocolsAnnotation; may be empty
  std::string shasums_manifest;           // the publisher's signed checksums manifest, or ""
  std::string created;                    // org.opencontainers.image.created of the tagged manifest, or ""
  std::string source;                     // org.opencontainers.image.source of the tagged manifest, or ""
};

// An annotation of a manifest's own (top-level) annotations; "" when absent or not JSON.
std::string manifest_annotation(std::string_view body, const char* key);

}  // namespace otr
