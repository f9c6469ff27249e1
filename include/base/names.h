// Name grammars every layer checks, from the configuration up: OCI Distribution repository names,
// tags and content digests, hostnames as repository components, and platform words.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otr {

// A repository path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool is_valid_repo_component(std::string_view s);
// Components joined by '/', total length <= 255.
bool is_valid_repository(std::string_view s);
// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
bool is_valid_tag(std::string_view s);
// "sha256:<64 lower hex>" or "sha512:<128 lower hex>" (the algorithms we can verify).
bool is_valid_digest(std::string_view s);
// The hex part of a "sha256:..." digest (Terraform's zh: hashes and SHA256SUMS need it); "" for a
// digest of another algorithm.
std::string sha256_hex_of(std::string_view digest);

// An OS or architecture word of a platform as Terraform writes them ("linux", "amd64"): 1 to 32
// lower-case letters and digits. The one grammar of platforms: the `platforms` attribute, package
// file names, release manifests and what an upstream lists.
bool is_platform_word(std::string_view word);

// Terraform provider hostname as it appears in a mirror URL ("registry.terraform.io",
// "example.com:8443", punycode "xn--..."), lower-cased. The returned repository component writes the
// port separator ':' as '_' ("example.com:8443" -> "example.com_8443"), which cannot collide with a
// hostname. nullopt when the text is not a hostname we can map.
std::optional<std::string> hostname_to_component(std::string_view host);

}  // namespace otr
