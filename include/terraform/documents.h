// The JSON documents and files of Terraform's registry protocols, built from what the registry holds
// (see ../shared/reference/terraform-protocols.md). Pure functions: no I/O.
#pragma once

#include <string>
#include <vector>

#include "terraform/release.h"
#include "terraform/versions.h"

namespace otr {

// Plugin protocols assumed for a release without kProtocolsAnnotation: what every current client
// speaks. The plugin handshake decides at run time; the registry list only guards installation.
inline const std::vector<std::string> kDefaultProtocols = {"5.0", "6.0"};

// The SHA256SUMS file of a release: "<hex>  <filename>\n" per package, sorted by file name, no blank
// lines; byte-for-byte the same for the same release.
std::string make_shasums(const std::string& type, const Version& version, const std::vector<PlatformPackage>& packages);

// /.well-known/terraform.json; an empty URL leaves its key out. `providers_url` must end in '/'.
std::string discovery_document(const std::string& providers_url, const std::string& modules_url);

// GET <providers.v1><ns>/<type>/versions
std::string provider_versions_document(const std::vector<ReleaseSummary>& releases);

struct ProviderDownload {
  std::vector<std::string> protocols;
  std::string os, arch, filename;
  std::string download_url, shasums_url, shasums_signature_url;
  std::string shasum;  // 64 hex digits
  std::string key_id, public_key_armored;
  std::vector<std::string> hashes;  // "h1:..." and "zh:..." where known
  // Every platform of the release, for OpenTofu's "packages" (RFC 20251027, OpenTofu >= 1.12):
  // {"os_arch": {"hashes": ["zh:<hex>", "h1:<b64>"], "package_size": N}}, each with the zh: of its
  // sha256 digest and the h1: where known, package_size where size >= 0; a platform with neither
  // hash is left out. OpenTofu checks its own platform's entry against the download (size, zh: =
  // shasum) and fails hard on a wrong one, so the whole field is left out unless this platform
  // (os, arch) is among them with its size known and its zh: equal to `shasum`. Empty: no field.
  std::vector<PlatformPackage> packages;
};
// GET <providers.v1><ns>/<type>/<version>/download/<os>/<arch>
std::string provider_download_document(const ProviderDownload& download);

// GET <modules.v1><ns>/<name>/<system>/versions
std::string module_versions_document(const std::vector<Version>& versions);

}  // namespace otr
