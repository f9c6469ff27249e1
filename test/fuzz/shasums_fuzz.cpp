// Feeds upstream/release_import check_shasums_lines: the input is an upstream's SHA256SUMS file,
// checked against two download documents (terraform-provider-x_1.0.0_linux_amd64.zip and _darwin_arm64.zip).
// Only UpstreamError may come out.
#include "base/error.h"
#include "fuzz.h"
#include "upstream/release_import.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<UpstreamPackage> packages = [] {
    UpstreamPackage linux_pkg, darwin_pkg;
    linux_pkg.os = "linux", linux_pkg.arch = "amd64";
    linux_pkg.filename = "terraform-provider-x_1.0.0_linux_amd64.zip";
    linux_pkg.shasum = std::string(64, 'a');
    darwin_pkg.os = "darwin", darwin_pkg.arch = "arm64";
    darwin_pkg.filename = "terraform-provider-x_1.0.0_darwin_arm64.zip";
    darwin_pkg.shasum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    return std::vector<UpstreamPackage>{linux_pkg, darwin_pkg};
  }();
  try {
    check_shasums_lines(fuzz::text(data, size), packages);
  } catch (const UpstreamError&) {
  }
  return 0;
}
