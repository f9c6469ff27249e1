// Failures talking to an origin registry. registry_error_response() (responses.h) decides what each
// becomes for our client.
#pragma once

#include <stdexcept>
#include <string>

namespace otr {

enum class RegistryFailure {
  kUnauthorized,  // 401/403 from the registry or its token service  -> 401
  kNotFound,      // 404 (unknown repository, tag, manifest or blob)  -> 404
  kTimeout,       // connect/total/stall timeout                     -> 504
  kUnreachable,   // refused, DNS, TLS                                -> 502
  kBadResponse,   // malformed answer, 5xx, digest mismatch, too large -> 502
};

class RegistryError : public std::runtime_error {
 public:
  RegistryError(RegistryFailure failure, const std::string& message)
      : std::runtime_error(message), failure_(failure) {}
  RegistryFailure failure() const { return failure_; }

 private:
  RegistryFailure failure_;
};

}  // namespace otr
