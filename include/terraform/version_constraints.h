// Terraform's version constraint strings ("~> 1.2", ">= 1.0, < 2.0.0", "= 1.2.3-beta.1", "!= 1.4.0"),
// as `required_providers` and lock files write them: a comma-separated list of conditions, each an
// operator (=, !=, >, >=, <, <=, ~>; none means =) and a version of one to three numbers, an
// optional pre-release. All conditions must hold. As in Terraform, a pre-release version matches
// only a condition that names it exactly (= or no operator); "~> 1.2" means ">= 1.2.0, < 2.0.0" and
// "~> 1.2.3" means ">= 1.2.3, < 1.3.0".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "terraform/versions.h"

namespace otr {

class VersionConstraints {
 public:
  // Throws InputError naming the condition that does not parse.
  static VersionConstraints parse(std::string_view text);

  bool allows(const Version& version) const;
  // The newest of `versions` that the constraints allow.
  std::optional<Version> newest(const std::vector<Version>& versions) const;

 private:
  enum class Op { kEq, kNe, kGt, kGe, kLt, kLe, kPessimistic };
  struct Condition {
    Op op = Op::kEq;
    Version version;
    int parts = 3;  // how many of major.minor.patch were written
  };
  std::vector<Condition> conditions_;
};

}  // namespace otr
