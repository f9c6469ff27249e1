#include <boost/test/unit_test.hpp>

#include "terraform/versions.h"

using namespace otr;

namespace {
Version v(const char* text) {
  auto parsed = parse_version(text);
  BOOST_TEST_REQUIRE(parsed.has_value(), text);
  return *parsed;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(semver)

BOOST_AUTO_TEST_CASE(parses_and_prints_canonically) {
  for (const char* text : {"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                           "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0+001",
                           "1.0.0-a-b--c"})
    BOOST_TEST(v(text).to_string() == text);
  Version x = v("1.2.3-rc.1+build.7");
  BOOST_TEST(x.major == 1u);
  BOOST_TEST(x.minor == 2u);
  BOOST_TEST(x.patch == 3u);
  BOOST_TEST(x.prerelease.size() == 2u);
  BOOST_TEST(x.build == "build.7");
  BOOST_TEST(x.is_prerelease());
}

BOOST_AUTO_TEST_CASE(rejects_non_versions) {
  for (const char* text : {"", "1", "1.0", "v1.0.0", "01.0.0", "1.01.0", "1.0.01", "1.0.0-", "1.0.0+", "1.0.0-01",
                           "1.0.0-a..b", "1.0.0-a_b", "1.0.0 ", " 1.0.0", "1.0.0.0", "a.b.c", "-1.0.0", "latest",
                           "99999999999999999999.0.0", "1.0.0+a+b"})
    BOOST_TEST(!parse_version(text).has_value(), text);
}

BOOST_AUTO_TEST_CASE(orders_by_semver_precedence) {
  // The example chain from semver.org §11, plus numeric width.
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"};
  for (size_t i = 0; i + 1 < std::size(ordered); ++i) {
    BOOST_TEST_CONTEXT(ordered[i] << " < " << ordered[i + 1]) {
      BOOST_TEST((compare_versions(v(ordered[i]), v(ordered[i + 1])) < 0));
      BOOST_TEST((compare_versions(v(ordered[i + 1]), v(ordered[i])) > 0));
    }
  }
  BOOST_TEST((compare_versions(v("1.0.0+a"), v("1.0.0+b")) == 0));
  BOOST_TEST((compare_versions(v("1.0.0-2"), v("1.0.0-10")) < 0));
}

BOOST_AUTO_TEST_CASE(tags_write_build_metadata_with_underscore) {
  BOOST_TEST(version_to_tag(v("1.0.0")) == "1.0.0");
  BOOST_TEST(version_to_tag(v("1.0.0-rc.1+build.5")) == "1.0.0-rc.1_build.5");
  BOOST_TEST(version_from_tag("1.0.0_build.5")->to_string() == "1.0.0+build.5");
  BOOST_TEST(version_from_tag("2.3.4")->to_string() == "2.3.4");
  for (const char* tag : {"latest", "v1.0.0", "linux_amd64", "1.0", "1.0.0_a_b", "1.0.0+a", "sha256-abc"})
    BOOST_TEST(!version_from_tag(tag).has_value(), tag);
}

BOOST_AUTO_TEST_CASE(protocol_versions_are_major_dot_minor) {
  for (const char* text : {"5.0", "6.0", "10.25"}) BOOST_TEST(is_protocol_version(text), text);
  for (const char* text : {"", "6", "6.", ".0", "6.0.1", "v6.0", "6.x", " 6.0", "12345.0"})
    BOOST_TEST(!is_protocol_version(text), text);
}

BOOST_AUTO_TEST_SUITE_END()
