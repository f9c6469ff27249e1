#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "terraform/version_constraints.h"

namespace otr {
namespace {

bool allows(const char* constraint, const char* version) {
  return VersionConstraints::parse(constraint).allows(*parse_version(version));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(version_constraints)

BOOST_AUTO_TEST_CASE(operators_as_terraform_reads_them) {
  BOOST_TEST(allows("1.2.3", "1.2.3"));
  BOOST_TEST(allows("= 1.2.3", "1.2.3"));
  BOOST_TEST(!allows("1.2.3", "1.2.4"));
  BOOST_TEST(allows("!= 1.2.3", "1.2.4"));
  BOOST_TEST(allows(">= 1.0, < 2.0.0", "1.9.9"));
  BOOST_TEST(!allows(">= 1.0, < 2.0.0", "2.0.0"));
  BOOST_TEST(allows("> 1.0", "1.0.1"));
  BOOST_TEST(!allows("> 1.0", "1.0.0"));
  BOOST_TEST(allows("<= 1.2", "1.2.0"));
}

BOOST_AUTO_TEST_CASE(pessimistic_operator_frees_the_last_number_given) {
  BOOST_TEST(allows("~> 1.2", "1.9.0"));
  BOOST_TEST(!allows("~> 1.2", "2.0.0"));
  BOOST_TEST(!allows("~> 1.2", "1.1.9"));
  BOOST_TEST(allows("~> 1.2.3", "1.2.9"));
  BOOST_TEST(!allows("~> 1.2.3", "1.3.0"));
  BOOST_TEST(allows("~> 1", "1.5.0"));
  BOOST_TEST(!allows("~> 1", "2.0.0"));
}

BOOST_AUTO_TEST_CASE(prereleases_match_only_when_named_exactly) {
  BOOST_TEST(!allows(">= 1.0.0", "2.0.0-beta.1"));
  BOOST_TEST(allows("2.0.0-beta.1", "2.0.0-beta.1"));
}

BOOST_AUTO_TEST_CASE(newest_allowed_is_chosen) {
  std::vector<Version> versions = {*parse_version("1.0.0"), *parse_version("1.4.0"), *parse_version("2.0.0")};
  BOOST_TEST(VersionConstraints::parse("~> 1.0").newest(versions)->to_string() == "1.4.0");
  BOOST_TEST(!VersionConstraints::parse("> 3").newest(versions).has_value());
}

BOOST_AUTO_TEST_CASE(malformed_constraints_are_input_errors) {
  for (const char* bad : {"", ">=", "1.2.3.4", "~> x", "1.2,", ">= 1.2-beta"})
    BOOST_CHECK_THROW(VersionConstraints::parse(bad), InputError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
