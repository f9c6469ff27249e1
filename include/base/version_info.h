// The product's name and version, as shown by `version` and sent as User-Agent.
#pragma once

namespace otr {

inline constexpr const char* kProgramName = "oci-distribution-terraform-registry";
inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kUserAgent = "oci-distribution-terraform-registry/0.1.0";

}  // namespace otr
