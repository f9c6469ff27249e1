#include "terraform/version_constraints.h"

#include <algorithm>

#include "base/error.h"
#include "base/strings.h"

namespace otr {

VersionConstraints VersionConstraints::parse(std::string_view text) {
  VersionConstraints out;
  for (const std::string& raw : split(std::string(text), ',')) {
    std::string item = trim(raw);
    if (item.empty()) throw InputError("\"" + std::string(text) + "\" is not a version constraint (an empty condition)");
    Condition c;
    static const std::pair<const char*, Op> kOps[] = {{"~>", Op::kPessimistic}, {">=", Op::kGe}, {"<=", Op::kLe},
                                                      {"!=", Op::kNe},          {">", Op::kGt},  {"<", Op::kLt},
                                                      {"=", Op::kEq}};
    for (const auto& [symbol, op] : kOps) {
      if (item.starts_with(symbol)) {
        c.op = op;
        item = trim(item.substr(std::string_view(symbol).size()));
        break;
      }
    }
    // One to three numbers: "1", "1.2", "1.2.3", "1.2.3-beta.1".
    std::string numbers = item.substr(0, item.find_first_of("-+"));
    std::string rest = item.substr(numbers.size());
    c.parts = 1 + static_cast<int>(std::count(numbers.begin(), numbers.end(), '.'));
    std::string full = numbers + (c.parts == 1 ? ".0.0" : c.parts == 2 ? ".0" : "") + rest;
    std::optional<Version> v = c.parts <= 3 && (rest.empty() || c.parts == 3) ? parse_version(full) : std::nullopt;
    if (!v) throw InputError("\"" + trim(raw) + "\" is not a version condition (like \">= 1.2.0\" or \"~> 1.2\")");
    c.version = *v;
    out.conditions_.push_back(c);
  }
  if (out.conditions_.empty()) throw InputError("an empty version constraint");
  return out;
}

bool VersionConstraints::allows(const Version& v) const {
  for (const Condition& c : conditions_) {
    const auto cmp = compare_versions(v, c.version);
    if (v.is_prerelease() && !(c.op == Op::kEq && cmp == 0)) return false;
    switch (c.op) {
      case Op::kEq: if (cmp != 0) return false; break;
      case Op::kNe: if (cmp == 0) return false; break;
      case Op::kGt: if (cmp <= 0) return false; break;
      case Op::kGe: if (cmp < 0) return false; break;
      case Op::kLt: if (cmp >= 0) return false; break;
      case Op::kLe: if (cmp > 0) return false; break;
      case Op::kPessimistic: {
        if (cmp < 0) return false;
        // The upper bound: the last written number goes free, the one before it may not grow.
        Version upper;
        if (c.parts <= 2) upper.major = c.version.major + 1;
        else upper.major = c.version.major, upper.minor = c.version.minor + 1;
        if (compare_versions(v, upper) >= 0) return false;
        break;
      }
    }
  }
  return true;
}

std::optional<Version> VersionConstraints::newest(const std::vector<Version>& versions) const {
  std::optional<Version> best;
  for (const Version& v : versions)
    if (allows(v) && (!best || compare_versions(v, *best) > 0)) best = v;
  return best;
}

}  // namespace otr
