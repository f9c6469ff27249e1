// Semantic versions (semver 2.0.0) as Terraform and OpenTofu use them, and OCI tag spelling.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otr {

struct Version {
  unsigned long long major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers after '-'
  std::string build;                    // after '+', without the '+'; "" when absent

  // Canonical text: "1.2.3", "1.2.3-beta.1", "1.2.3+abc".
  std::string to_string() const;
  bool is_prerelease() const { return !prerelease.empty(); }
};

// Strict semver 2.0.0: no leading 'v', no leading zeros in numeric parts, non-empty identifiers of
// [0-9A-Za-z-]. Returns nullopt for anything else.
std::optional<Version> parse_version(std::string_view text);

// Semver precedence: build metadata is ignored (returns equivalent for 1.0.0+a vs 1.0.0+b).
std::weak_ordering compare_versions(const Version& a, const Version& b);

// OCI tags cannot hold '+': build metadata is written with '_' ("1.0.0+x" <-> "1.0.0_x").
std::string version_to_tag(const Version& v);
// nullopt when the tag is not a version tag (e.g. "latest", "linux_amd64", "v1.0.0").
std::optional<Version> version_from_tag(std::string_view tag);

// A plugin protocol version as release manifests and --protocols give it: MAJOR.MINOR ("5.0",
// "6.0"), at most four digits each.
bool is_protocol_version(std::string_view text);

}  // namespace otr
