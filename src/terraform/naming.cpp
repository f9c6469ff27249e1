#include "terraform/naming.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/error.h"
#include "base/names.h"
#include "terraform/versions.h"

namespace otr {

namespace {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

constexpr const char* kPackagePrefix = "terraform-provider-";

}  // namespace

bool is_platform_word(std::string_view s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

ProviderAddress parse_provider_address(std::string_view text) {
  std::vector<std::string> parts = split(text, '/');
  const std::string expected = "expected NAMESPACE/TYPE or HOSTNAME/NAMESPACE/TYPE, e.g. acme/widget";
  if (parts.size() != 2 && parts.size() != 3)
    throw InputError("provider address \"" + std::string(text) + "\" does not parse: " + expected);
  ProviderAddress address;
  address.hostname = parts.size() == 3 ? lower(parts[0]) : kDefaultProviderHost;
  const std::string& ns = parts[parts.size() - 2];
  const std::string& type = parts.back();
  if (!hostname_to_component(address.hostname))
    throw InputError("provider address \"" + std::string(text) + "\": \"" + address.hostname +
                     "\" is not a hostname (" + expected + ")");
  auto ns_component = provider_name_to_component(ns);
  auto type_component = provider_name_to_component(type);
  if (!ns_component || !type_component)
    throw InputError("provider address \"" + std::string(text) +
                     "\": namespace and type are letters, digits, '-' and '_' (" + expected + ")");
  address.ns = *ns_component;
  address.type = *type_component;
  return address;
}

PackageFileName parse_package_file_name(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  const std::string expected = "expected terraform-provider-TYPE_VERSION_OS_ARCH.zip, e.g. "
                               "terraform-provider-widget_1.2.0_linux_amd64.zip";
  auto fail = [&](const std::string& why) -> PackageFileName {
    throw InputError("\"" + std::string(name) + "\": " + why + "; " + expected);
  };
  if (!name.starts_with(kPackagePrefix) || !name.ends_with(".zip") ||
      name.size() <= std::string_view(kPackagePrefix).size() + 4)
    return fail("not a provider package file name");
  std::string_view stem = name.substr(std::string_view(kPackagePrefix).size());
  stem.remove_suffix(4);
  // From the right: versions and platform words hold no '_', while a type may.
  std::vector<std::string> parts = split(stem, '_');
  if (parts.size() < 4) return fail("it needs a type, a version, an OS and an architecture separated by '_'");
  PackageFileName result;
  result.arch = parts[parts.size() - 1];
  result.os = parts[parts.size() - 2];
  std::string version = parts[parts.size() - 3];
  for (size_t i = 0; i + 3 < parts.size(); ++i) result.type += (i == 0 ? "" : "_") + parts[i];
  if (!provider_name_to_component(result.type)) return fail("\"" + result.type + "\" is not a provider type");
  auto parsed = parse_version(version);
  if (!parsed) return fail("\"" + version + "\" is not a version (semver, like 1.2.0)");
  result.version = parsed->to_string();
  if (!is_platform_word(result.os) || !is_platform_word(result.arch))
    return fail("\"" + result.os + "_" + result.arch + "\" is not a platform (lower-case OS_ARCH, like linux_amd64)");
  return result;
}

std::string package_file_name(std::string_view type, std::string_view version, std::string_view os,
                              std::string_view arch) {
  return std::string(kPackagePrefix) + std::string(type) + "_" + std::string(version) + "_" + std::string(os) + "_" +
         std::string(arch) + ".zip";
}

ModuleAddress parse_module_address(std::string_view text) {
  std::vector<std::string> parts = split(text, '/');
  const std::string expected = "expected NAMESPACE/NAME/SYSTEM, e.g. acme/network/aws";
  if (parts.size() != 3) throw InputError("module address \"" + std::string(text) + "\" does not parse: " + expected);
  ModuleAddress address;
  auto ns = provider_name_to_component(parts[0]);
  auto name = provider_name_to_component(parts[1]);
  std::string system = parts[2];
  bool system_ok = !system.empty() && system.size() <= 64 &&
                   std::all_of(system.begin(), system.end(), [](unsigned char c) { return std::isalnum(c); });
  std::transform(system.begin(), system.end(), system.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!ns || !name || !system_ok)
    throw InputError("module address \"" + std::string(text) +
                     "\": namespace and name are letters, digits, '-' and '_', the system letters and digits (" +
                     expected + ")");
  address.ns = *ns;
  address.name = *name;
  address.system = system;
  return address;
}

std::string module_repository(std::string_view prefix, const ModuleAddress& address) {
  std::string repo;
  if (!prefix.empty()) repo = std::string(prefix) + "/";
  return repo + address.ns + "/" + address.name + "/" + address.system;
}

std::optional<std::string> provider_name_to_component(std::string_view name) {
  // Terraform: ^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$
  if (name.empty() || name.size() > 64) return std::nullopt;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(name.front()) || !alnum(name.back())) return std::nullopt;
  if (!std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-' || c == '_'; }))
    return std::nullopt;
  std::string component = lower(name);
  if (!is_valid_repo_component(component)) return std::nullopt;
  return component;
}

std::string provider_repository(std::string_view prefix, std::string_view host_component, std::string_view ns,
                                std::string_view type) {
  std::string repo;
  if (!prefix.empty()) {
    repo.append(prefix);
    repo += '/';
  }
  repo.append(host_component);
  repo += '/';
  repo.append(ns);
  repo += '/';
  repo.append(type);
  return repo;
}

}  // namespace otr
