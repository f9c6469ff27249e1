// `push provider --from-registry HOST/NS/TYPE --version CONSTRAINT` and `push provider --from-lock
// FILE`: releases imported from their provider registry into OCI through the same verified path as
// pull-through (upstream/release_import.h), for pre-seeding a registry that the clients' network
// cannot leave (README "Pre-seeding from a registry").
#pragma once

#include <string>
#include <vector>

#include "oci/push.h"
#include "publish/push_report.h"
#include "terraform/naming.h"
#include "terraform/versions.h"

namespace otr {

struct RegistryImportSettings {
  std::vector<std::string> platforms;  // "os_arch"; empty = every platform of the release
  std::string upstream_url;            // instead of https://HOST (tests, a registry behind another name)
  std::string ca_file;                 // PEM CAs for the upstream; "" = the system's
  bool all_versions = false;           // --from-registry: every version the constraint allows, not the newest
};

// One provider release of a lock file.
struct LockedProvider {
  ProviderAddress address;
  Version version;
  std::vector<std::string> hashes;  // "h1:...", "zh:..." as recorded
};

// The provider blocks of a .terraform.lock.hcl (InputError naming the file and line for what does
// not parse: a missing version, an address that is not HOST/NAMESPACE/TYPE).
std::vector<LockedProvider> read_lock_file(const std::string& path);

// Imports what the constraint selects of ADDRESS (`address_text`: HOST/NAMESPACE/TYPE). Returns the
// exit status: 0 when every selected release is stored. Throws InputError, UpstreamError, Error.
int import_from_registry(ArtifactTarget& target, const RepositoryNaming& naming, const std::string& address_text,
                         const std::string& constraint, const RegistryImportSettings& settings,
                         PushReporter& reporter);

// Imports every provider of a lock file at its locked version, and checks what was imported
// against the hashes the lock file recorded (a platform whose package matches none of them is an
// error: the registry now serves other bytes than the lock file saw). Returns the exit status.
int import_from_lock(ArtifactTarget& target, const RepositoryNaming& naming, const std::string& lock_path,
                     const RegistryImportSettings& settings, PushReporter& reporter);

}  // namespace otr
