// Feeds the OCI manifest and index readers of terraform/release (parse_release_manifest with and
// without the registry's media type, parse_platform_manifest, parse_shasums_manifest,
// parse_module_manifest, manifest_annotation): the input is one manifest or index body as an
// origin registry answers it. Only Error may come out.
#include "base/error.h"
#include "fuzz.h"
#include "terraform/release.h"

using namespace otr;

namespace {

template <class F>
void refused_or(F f) {
  try {
    f();
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::text(data, size);
  refused_or([&] { (void)parse_release_manifest(body, ""); });
  refused_or([&] { (void)parse_release_manifest(body, kIndexMediaType); });
  refused_or([&] { (void)parse_release_manifest(body, kManifestMediaType); });
  refused_or([&] {
    PlatformPackage p = parse_platform_manifest(body, {"linux", "amd64", "sha256:" + std::string(64, 'a')});
    FUZZ_CHECK(p.os == "linux" && p.arch == "amd64");
  });
  refused_or([&] { (void)parse_shasums_manifest(body); });
  refused_or([&] { (void)parse_module_manifest(body); });
  (void)manifest_annotation(body, kCreatedAnnotation);
  return 0;
}
