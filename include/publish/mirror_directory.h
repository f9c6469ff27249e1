// Reading a directory written by `terraform providers mirror` / `tofu providers mirror` (the packed
// layout), for `push provider --from-mirror DIR`:
//
//   DIR/<hostname>/<namespace>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip
//   DIR/<hostname>/<namespace>/<type>/<version>.json   {"archives":{"os_arch":{"url":..,"hashes":["h1:.."]}}}
//   DIR/<hostname>/<namespace>/<type>/index.json
//
// Unpacked layouts (<version>/<os_arch>/ directories) are not packages: they are reported and skipped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "publish/provider_publish.h"
#include "terraform/naming.h"

namespace otr {

struct MirrorRelease {
  ProviderAddress address;
  std::string version;
  std::vector<ProviderPackage> packages;  // sorted by platform, not yet hashed
  std::string version_document;           // path of <version>.json (it exists)
};

// Every release found, sorted by address and version. Notes about what was skipped go to `notes`.
// Throws InputError for a directory that is not a provider mirror (naming the directory the user
// probably meant when it is one of the mirror's subdirectories), a release without its
// <version>.json, or a zip whose name does not fit where it lies.
std::vector<MirrorRelease> scan_provider_mirror(const std::string& directory, std::vector<std::string>& notes);

// After hash_provider_packages: each package's h1: must be among the hashes <version>.json lists
// for its platform (when the document exists and lists some). Throws PackageError naming the file.
void check_mirror_hashes(const MirrorRelease& release);

}  // namespace otr
