// Provider package file names, "terraform-provider-TYPE_VERSION_OS_ARCH.zip", and the platform
// words in them. Malformed input throws InputError with a message that shows the expected form.
#pragma once

#include <string>
#include <string_view>

#include "base/names.h"  // is_platform_word

namespace otr {

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

// The file name of a provider package ("+" of build metadata kept, as clients name the file).
std::string package_file_name(std::string_view type, std::string_view version, std::string_view os,
                              std::string_view arch);

}  // namespace otr
