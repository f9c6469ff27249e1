#include "terraform/package_names.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/error.h"
#include "base/strings.h"
#include "terraform/naming.h"
#include "terraform/versions.h"

namespace otr {

namespace {

constexpr const char* kPackagePrefix = "terraform-provider-";

}  // namespace

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

}  // namespace otr
