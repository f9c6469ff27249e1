// How providers and modules are named on the command line and on disk: source addresses and package
// file names.
// Malformed input throws InputError with a message that shows the expected form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otr {

inline constexpr const char* kDefaultProviderHost = "registry.terraform.io";

// A provider source address, lower-cased: "acme/widget" is registry.terraform.io/acme/widget;
// "example.com:8443/acme/widget" keeps its host.
struct ProviderAddress {
  std::string hostname;  // "registry.terraform.io", "example.com:8443"
  std::string ns;
  std::string type;
  std::string to_string() const { return hostname + "/" + ns + "/" + type; }
};
ProviderAddress parse_provider_address(std::string_view text);

// "terraform-provider-TYPE_VERSION_OS_ARCH.zip" (a path's last component): what `terraform
// providers mirror`, goreleaser and the registries call provider packages.
struct PackageFileName {
  std::string type;     // as written (case kept)
  std::string version;  // canonical semver, "+" kept
  std::string os;       // "linux"
  std::string arch;     // "amd64"
  std::string platform() const { return os + "_" + arch; }
};
PackageFileName parse_package_file_name(std::string_view path);

std::string package_file_name(std::string_view type, std::string_view version, std::string_view os,
                              std::string_view arch);

// OS and architecture words as Terraform writes them: lower-case letters and digits.
bool is_platform_word(std::string_view word);

struct ModuleAddress {
  std::string ns;      // lower-cased
  std::string name;
  std::string system;  // the target system, e.g. "aws"
  std::string to_string() const { return ns + "/" + name + "/" + system; }
};

// "NAMESPACE/NAME/SYSTEM" (Terraform's module registry grammar). Throws InputError.
ModuleAddress parse_module_address(std::string_view text);

// Its repository: "<prefix>/<namespace>/<name>/<system>" (no leading '/' when prefix is empty).
std::string module_repository(std::string_view prefix, const ModuleAddress& address);

// Provider namespace or type (case-insensitive, lower-cased here): Terraform's grammar
// ([0-9A-Za-z] with inner '-' and '_', at most 64 chars) that also fits a repository component.
std::optional<std::string> provider_name_to_component(std::string_view name);

// "<prefix>/<host-component>/<namespace>/<type>" (no leading '/' when prefix is empty).
std::string provider_repository(std::string_view prefix, std::string_view host_component,
                                std::string_view ns, std::string_view type);

}  // namespace otr
