// Feeds terraform/versions (parse_version, version_from_tag, is_protocol_version) and
// terraform/version_constraints (VersionConstraints::parse, allows): the first line is a
// constraint string, every further line a version; a version that parses must print back to
// itself and compare equal to its reparse.
#include "base/error.h"
#include "fuzz.h"
#include "terraform/version_constraints.h"
#include "terraform/versions.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string_view> lines = fuzz::split(fuzz::text(data, size), '\n');
  std::vector<Version> versions;
  for (std::string_view line : lines) {
    (void)is_protocol_version(line);
    if (std::optional<Version> tag = version_from_tag(line)) FUZZ_CHECK(version_from_tag(version_to_tag(*tag)));
    std::optional<Version> v = parse_version(line);
    if (!v) continue;
    FUZZ_CHECK(v->to_string() == line);
    std::optional<Version> again = parse_version(v->to_string());
    FUZZ_CHECK(again && compare_versions(*v, *again) == 0);
    versions.push_back(*v);
  }
  try {
    VersionConstraints constraints = VersionConstraints::parse(lines[0]);
    for (const Version& v : versions) (void)constraints.allows(v);
    if (std::optional<Version> newest = constraints.newest(versions)) FUZZ_CHECK(constraints.allows(*newest));
  } catch (const InputError&) {
  }
  return 0;
}
