#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "config/config.h"
#include "server/signing_keys.h"

using namespace otr;

BOOST_AUTO_TEST_SUITE(signing_keys)

BOOST_AUTO_TEST_CASE(an_unusable_key_is_an_error_at_its_attribute) {
  Config c = parse_config("provider_registry \"r\" {\n  origin_url = \"https://r\"\n  signing_key_file = \"password.txt\"\n}\n",
                          "../data/config/c.hcl");
  std::vector<Diagnostic> problems = check_signing_keys(c);
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  const std::string key = (std::filesystem::absolute("../data/config") / "password.txt").lexically_normal().string();
  BOOST_TEST(problems[0].to_string() == "../data/config/c.hcl:3:22: the signing key file \"" + key +
                                            "\" holds no OpenPGP secret key (export one with gpg --export-secret-keys)");
  BOOST_TEST(check_signing_keys(parse_config("", "x.hcl")).empty());
}

BOOST_AUTO_TEST_SUITE_END()
