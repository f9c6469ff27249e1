// Where a configuration problem is, and the error that lists every problem of a file.
// Shared by the HCL parser (syntax) and the schema (meaning); neither depends on the other.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace otr {

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based, in bytes
};

// "file:line:column: message" (or "file: message" when the position is unknown).
struct Diagnostic {
  SourcePos pos;
  std::string message;
  bool warning = false;
  std::string to_string() const;
};

// Thrown when a configuration cannot be used; what() lists every error, one per line.
class ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace otr
