// Feeds upstream/provider_source parse_upstream_versions and parse_upstream_download: the input
// is one document an upstream provider registry answers, read as a versions document and as the
// download document of linux_amd64. Only UpstreamError may come out; what parses keeps the
// promises of the header (sorted unique platforms, a 64-hex shasum, absolute http(s) URLs).
#include <algorithm>

#include "base/error.h"
#include "fuzz.h"
#include "upstream/provider_source.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::text(data, size);
  try {
    for (const UpstreamRelease& r : parse_upstream_versions(body)) {
      FUZZ_CHECK(std::is_sorted(r.platforms.begin(), r.platforms.end()));
      FUZZ_CHECK(std::adjacent_find(r.platforms.begin(), r.platforms.end()) == r.platforms.end());
    }
  } catch (const UpstreamError&) {
  }
  try {
    UpstreamPackage p = parse_upstream_download(
        body, "https://registry.example.com/v1/providers/acme/x/1.0.0/download/linux/amd64", "linux", "amd64");
    FUZZ_CHECK(p.shasum.size() == 64);
    FUZZ_CHECK(!p.filename.empty() && p.filename.find('/') == std::string::npos);
    for (const std::string* url : {&p.download_url, &p.shasums_url, &p.shasums_signature_url})
      FUZZ_CHECK(url->starts_with("https://") || url->starts_with("http://"));
    FUZZ_CHECK(!p.signing_keys.empty());
  } catch (const UpstreamError&) {
  }
  return 0;
}
