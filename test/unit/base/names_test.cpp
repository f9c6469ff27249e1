#include <boost/test/unit_test.hpp>

#include "base/names.h"

using namespace otr;

BOOST_AUTO_TEST_SUITE(oci_names)

BOOST_AUTO_TEST_CASE(repository_components) {
  for (const char* ok : {"a", "abc", "a.b", "a_b", "a__b", "a-b", "a---b", "registry.terraform.io", "example.com_8443", "0"})
    BOOST_TEST(is_valid_repo_component(ok), ok);
  for (const char* bad : {"", "A", "a.", ".a", "a..b", "a___b", "a_", "-a", "a-", "a/b", "a b", "a:b", "a._b"})
    BOOST_TEST(!is_valid_repo_component(bad), bad);
  BOOST_TEST(is_valid_repository("terraform-providers/registry.terraform.io/hashicorp/aws"));
  BOOST_TEST(!is_valid_repository("a//b"));
  BOOST_TEST(!is_valid_repository("/a"));
  BOOST_TEST(!is_valid_repository(std::string(256, 'a')));
}

BOOST_AUTO_TEST_CASE(tags_and_digests) {
  BOOST_TEST(is_valid_tag("1.0.0"));
  BOOST_TEST(is_valid_tag("1.0.0_build"));
  BOOST_TEST(is_valid_tag("_x"));
  BOOST_TEST(!is_valid_tag(".x"));
  BOOST_TEST(!is_valid_tag("1.0.0+b"));
  BOOST_TEST(!is_valid_tag(std::string(129, 'a')));
  BOOST_TEST(is_valid_digest("sha256:" + std::string(64, 'a')));
  BOOST_TEST(is_valid_digest("sha512:" + std::string(128, '0')));
  BOOST_TEST(!is_valid_digest("sha256:" + std::string(64, 'A')));
  BOOST_TEST(!is_valid_digest("sha256:" + std::string(63, 'a')));
  BOOST_TEST(!is_valid_digest("md5:" + std::string(32, 'a')));
}

BOOST_AUTO_TEST_CASE(hostnames_map_to_components) {
  BOOST_TEST(hostname_to_component("registry.terraform.io").value_or("?") == "registry.terraform.io");
  BOOST_TEST(hostname_to_component("Example.COM").value_or("?") == "example.com");
  BOOST_TEST(hostname_to_component("example.com:8443").value_or("?") == "example.com_8443");
  BOOST_TEST(hostname_to_component("localhost").value_or("?") == "localhost");
  BOOST_TEST(hostname_to_component("127.0.0.1:5000").value_or("?") == "127.0.0.1_5000");
  BOOST_TEST(hostname_to_component("xn--bcher-kva.example").value_or("?") == "xn--bcher-kva.example");
  for (const char* bad : {"", "-a.com", "a-.com", "a..com", ".a.com", "a.com.", "a.com:", "a.com:0", "a.com:65536",
                          "a.com:08", "[::1]:443", "a_b.com", "a b", "a.com:80:81"})
    BOOST_TEST(!hostname_to_component(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
