#include "terraform/naming.h"

#include <algorithm>

#include "base/error.h"
#include "base/names.h"
#include "base/strings.h"

namespace otr {

namespace {

bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Module target systems: letters and digits, at most 64.
std::optional<std::string> system_to_component(std::string_view system) {
  if (system.empty() || system.size() > 64 || !std::all_of(system.begin(), system.end(), is_ascii_alnum))
    return std::nullopt;
  return to_lower(system);
}

std::string joined(const std::string& prefix, const std::string& rest) { return prefix.empty() ? rest : prefix + "/" + rest; }

}  // namespace

std::optional<std::string> provider_name_to_component(std::string_view name) {
  // Terraform: ^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$
  if (name.empty() || name.size() > 64 || !is_ascii_alnum(name.front()) || !is_ascii_alnum(name.back()))
    return std::nullopt;
  if (!std::all_of(name.begin(), name.end(), [](char c) { return is_ascii_alnum(c) || c == '-' || c == '_'; }))
    return std::nullopt;
  std::string component = to_lower(name);
  if (!is_valid_repo_component(component)) return std::nullopt;
  return component;
}

std::optional<ProviderAddress> provider_address(std::string_view hostname, std::string_view ns, std::string_view type) {
  auto ns_component = provider_name_to_component(ns);
  auto type_component = provider_name_to_component(type);
  if (!hostname_to_component(hostname) || !ns_component || !type_component) return std::nullopt;
  return ProviderAddress{to_lower(hostname), *ns_component, *type_component};
}

std::optional<ModuleAddress> module_address(std::string_view ns, std::string_view name, std::string_view system) {
  auto ns_component = provider_name_to_component(ns);
  auto name_component = provider_name_to_component(name);
  auto system_component = system_to_component(system);
  if (!ns_component || !name_component || !system_component) return std::nullopt;
  return ModuleAddress{*ns_component, *name_component, *system_component};
}

ProviderAddress parse_provider_address(std::string_view text) {
  std::vector<std::string> parts = split(text, '/');
  const std::string expected = "expected NAMESPACE/TYPE or HOSTNAME/NAMESPACE/TYPE, e.g. acme/widget";
  if (parts.size() != 2 && parts.size() != 3)
    throw InputError("provider address \"" + std::string(text) + "\" does not parse: " + expected);
  const std::string hostname = parts.size() == 3 ? parts[0] : kDefaultProviderHost;
  if (!hostname_to_component(hostname))
    throw InputError("provider address \"" + std::string(text) + "\": \"" + to_lower(hostname) +
                     "\" is not a hostname (" + expected + ")");
  auto address = provider_address(hostname, parts[parts.size() - 2], parts.back());
  if (!address)
    throw InputError("provider address \"" + std::string(text) +
                     "\": namespace and type are letters, digits, '-' and '_' (" + expected + ")");
  return *address;
}

ModuleAddress parse_module_address(std::string_view text) {
  std::vector<std::string> parts = split(text, '/');
  const std::string expected = "expected NAMESPACE/NAME/SYSTEM, e.g. acme/network/aws";
  if (parts.size() != 3) throw InputError("module address \"" + std::string(text) + "\" does not parse: " + expected);
  auto address = module_address(parts[0], parts[1], parts[2]);
  if (!address)
    throw InputError("module address \"" + std::string(text) +
                     "\": namespace and name are letters, digits, '-' and '_', the system letters and digits (" +
                     expected + ")");
  return *address;
}

RepositoryNaming::RepositoryNaming(std::string prefix, std::optional<std::string> fixed_hostname)
    : prefix_(std::move(prefix)), fixed_hostname_(std::move(fixed_hostname)) {}

std::string RepositoryNaming::provider(const ProviderAddress& address) const {
  const std::string& hostname = fixed_hostname_ ? *fixed_hostname_ : address.hostname;
  const std::string rest = address.ns + "/" + address.type;
  if (hostname.empty()) return joined(prefix_, rest);
  return joined(prefix_, hostname_to_component(hostname).value_or(to_lower(hostname)) + "/" + rest);
}

std::string RepositoryNaming::module(const ModuleAddress& address) const {
  return joined(prefix_, address.ns + "/" + address.name + "/" + address.system);
}

namespace {

// The '/'-separated parts of `repository` after `prefix` ("" = none), when there are `count`.
std::optional<std::vector<std::string>> parts_after(const std::string& prefix, std::string_view repository,
                                                    std::size_t count) {
  std::string start = prefix.empty() ? std::string() : prefix + "/";
  if (!repository.starts_with(start)) return std::nullopt;
  std::vector<std::string> parts = split(repository.substr(start.size()), '/');
  if (parts.size() != count) return std::nullopt;
  return parts;
}

}  // namespace

std::optional<ProviderAddress> RepositoryNaming::provider_of(std::string_view repository) const {
  const bool with_host = !fixed_hostname_ || !fixed_hostname_->empty();
  auto parts = parts_after(prefix_, repository, with_host ? 3 : 2);
  if (!parts) return std::nullopt;
  std::string host;
  if (fixed_hostname_ && fixed_hostname_->empty()) {
    host = kDefaultProviderHost;
  } else {
    std::string component = (*parts)[0];
    std::replace(component.begin(), component.end(), '_', ':');  // a port: example.com_8443
    if (fixed_hostname_ && hostname_to_component(*fixed_hostname_).value_or("") != (*parts)[0]) return std::nullopt;
    host = fixed_hostname_ ? *fixed_hostname_ : component;
  }
  std::optional<ProviderAddress> address =
      provider_address(host, (*parts)[with_host ? 1 : 0], (*parts)[with_host ? 2 : 1]);
  // Only names this naming would give back (lower case, the canonical host component).
  if (!address || provider(*address) != repository) return std::nullopt;
  return address;
}

std::optional<ModuleAddress> RepositoryNaming::module_of(std::string_view repository) const {
  auto parts = parts_after(prefix_, repository, 3);
  if (!parts) return std::nullopt;
  std::optional<ModuleAddress> address = module_address((*parts)[0], (*parts)[1], (*parts)[2]);
  if (!address || module(*address) != repository) return std::nullopt;
  return address;
}

RepositoryNaming repository_naming(const ServiceConfig& service) {
  if (service.kind == ServiceKind::kProviderRegistry)
    return RepositoryNaming(service.name_prefix, static_cast<const ProviderRegistryConfig&>(service).hostname);
  return RepositoryNaming(service.name_prefix);
}

}  // namespace otr
