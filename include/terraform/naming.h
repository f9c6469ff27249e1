// Provider and module addresses, and where they live in a registry.
//
// Addresses come from URLs (value parsers: nullopt for what is not an address) and from the command
// line (parse_*: InputError with a message that shows the expected form). Every part is lower-cased.
//
// RepositoryNaming is the one rule the services and `push` share (README "Repository layout"):
//   providers: <prefix>/<hostname>/<namespace>/<type>   (':' of a port written '_': example.com_8443)
//              or <prefix>/<namespace>/<type> for a provider_registry with hostname = "";
//   modules:   <prefix>/<namespace>/<name>/<system>.
// An empty prefix leaves its '/' out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace otr {

inline constexpr const char* kDefaultProviderHost = "registry.terraform.io";

struct ProviderAddress {
  std::string hostname;  // "registry.terraform.io", "example.com:8443"
  std::string ns;
  std::string type;
  std::string to_string() const { return hostname + "/" + ns + "/" + type; }
};

struct ModuleAddress {
  std::string ns;
  std::string name;
  std::string system;  // the target system, e.g. "aws"
  std::string to_string() const { return ns + "/" + name + "/" + system; }
};

// Provider namespace or type (any case): Terraform's grammar ([0-9A-Za-z] with inner '-' and '_',
// at most 64 characters) that also fits a repository component. Lower-cased; nullopt otherwise.
std::optional<std::string> provider_name_to_component(std::string_view name);

// A provider or module address from its parts as a URL or a client gives them; nullopt when a part
// does not fit the grammar.
std::optional<ProviderAddress> provider_address(std::string_view hostname, std::string_view ns, std::string_view type);
std::optional<ModuleAddress> module_address(std::string_view ns, std::string_view name, std::string_view system);

// "acme/widget" (= registry.terraform.io/acme/widget) or "example.com:8443/acme/widget". Throws InputError.
ProviderAddress parse_provider_address(std::string_view text);
// "NAMESPACE/NAME/SYSTEM". Throws InputError.
ModuleAddress parse_module_address(std::string_view text);

class RepositoryNaming {
 public:
  // `fixed_hostname`: nullopt = each provider's own hostname; "" = none; else this hostname for
  // every provider (a provider_registry's `hostname`). It must be a valid hostname or "".
  explicit RepositoryNaming(std::string prefix, std::optional<std::string> fixed_hostname = std::nullopt);

  std::string provider(const ProviderAddress& address) const;
  std::string module(const ModuleAddress& address) const;
  const std::string& prefix() const { return prefix_; }
  // What every repository name of this naming starts with: "<prefix>/", or "" without a prefix.
  std::string catalog_prefix() const { return prefix_.empty() ? std::string() : prefix_ + "/"; }
  // The address a repository name of this naming stands for (the inverse of provider() and
  // module()); nullopt for a name that is not one. With a fixed hostname, the address has it
  // (kDefaultProviderHost when it is "").
  std::optional<ProviderAddress> provider_of(std::string_view repository) const;
  std::optional<ModuleAddress> module_of(std::string_view repository) const;
  // The same naming under another prefix (push --name-prefix).
  RepositoryNaming with_prefix(std::string prefix) const { return RepositoryNaming(std::move(prefix), fixed_hostname_); }

 private:
  std::string prefix_;
  std::optional<std::string> fixed_hostname_;
};

// How a service block names its repositories: its name_prefix, and a provider_registry's
// `hostname` in place of each provider's own. The services and `push --service` both use it.
RepositoryNaming repository_naming(const ServiceConfig& service);

}  // namespace otr
