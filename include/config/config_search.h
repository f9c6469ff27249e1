// Where the configuration file is looked for when --config is not given.
#pragma once

#include <string>
#include <vector>

namespace otr {

// The environment variable that names the configuration file (FcgidInitialEnv, lighttpd
// bin-environment, systemd Environment=).
inline constexpr const char* kConfigEnvVar = "OCI_DISTRIBUTION_TERRAFORM_REGISTRY_CONFIG";
// Where `server`, `check-config` ... look for config.hcl when --config is not given.
struct ConfigSearch {
  std::vector<std::string> searched;  // every candidate path, in order
  std::vector<std::string> found;     // the existing ones (distinct files)
  bool from_environment = false;      // kConfigEnvVar named the only candidate
  // ./config.hcl exists: it is never read unless named (a cloned repository must not be able to
  // point `push` at a registry of its choosing), but a message may mention it.
  bool config_in_current_directory = false;
};
// If kConfigEnvVar is set, it is the only candidate. Otherwise: config.hcl beside the executable
// (`exe_dir`), $XDG_CONFIG_HOME (default ~/.config)/oci-distribution-terraform-registry/, each
// $XDG_CONFIG_DIRS (default /etc/xdg) entry /oci-distribution-terraform-registry/, and
// /etc/oci-distribution-terraform-registry/. Never the current directory.
ConfigSearch search_config_file(const std::string& exe_dir);

}  // namespace otr
