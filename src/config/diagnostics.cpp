#include "config/diagnostics.h"

namespace otr {

std::string Diagnostic::to_string() const {
  std::string where = pos.file;
  if (pos.line > 0) where += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  return where + ": " + (warning ? "warning: " : "") + message;
}

namespace {

std::string join_errors(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (d.warning) continue;
    if (!out.empty()) out += "\n";
    out += d.to_string();
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : Error(ErrorKind::kInvalidConfig, join_errors(diagnostics)), diagnostics_(std::move(diagnostics)) {}

}  // namespace otr
