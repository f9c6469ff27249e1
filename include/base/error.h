// The program's one family of errors: an Error says what kind of failure it is, and each kind has
// one meaning for every caller. error_response() (http/responses.h) turns a kind into an HTTP
// status and body, in one place; `push` turns it into an exit status, in one place. Not-found is an
// Error only where something that must exist is missing (a manifest an index names); where code
// asks "is it there?", the answer is a value (std::optional), not an exception.
//
// The subclasses exist for what they carry or for catch sites that need only one kind; every one
// of them is an Error with a fixed kind.
#pragma once

#include <stdexcept>
#include <string>

namespace otr {

enum class ErrorKind {
  kNotFound,       // something that must exist does not (an origin answered 404)
  kUnauthorized,   // an origin refused the credentials used (401/403)
  kTimeout,        // an origin did not answer in time (connect, total or stall timeout)
  kUnreachable,    // an origin (or a local file) could not be reached or read (refused, DNS, TLS, I/O)
  kBadResponse,    // an origin (or a local file) gave what cannot be used (malformed, too large, 5xx,
                   // digest mismatch)
  kUnavailable,    // a resource of this server is not usable now (the signing key)
  kInvalidInput,   // the request or the command line is malformed
  kBadPackage,     // a package file that cannot be read as a zip
  kConflict,       // a version exists with other content
  kCredentials,    // local credentials cannot be obtained (docker configuration, credential helper)
  kInvalidConfig,  // the configuration cannot be used
  kUpstream,       // an upstream provider registry (pull-through) failed or gave what does not verify;
                   // the message is written for the client: it names the provider, the version and the
                   // problem, never a credential or a sealed URL
  kInternal,       // a bug of ours
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Bad input to a command (a file name that does not parse, a missing file, a platform given twice):
// the CLI prints the message and exits with the usage status, without touching a registry.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ErrorKind::kInvalidInput, message) {}
};

// What an import from an upstream provider registry stopped at (see ErrorKind::kUpstream).
class UpstreamError : public Error {
 public:
  explicit UpstreamError(const std::string& message) : Error(ErrorKind::kUpstream, message) {}
};

}  // namespace otr
