#include <boost/test/unit_test.hpp>

#include "http/www_authenticate.h"

using namespace otr;

BOOST_AUTO_TEST_SUITE(www_authenticate)

BOOST_AUTO_TEST_CASE(docker_style_bearer) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull")");
  BOOST_TEST_REQUIRE(c.size() == 1u);
  BOOST_TEST(c[0].scheme == "bearer");
  BOOST_TEST(c[0].params["realm"] == "https://ghcr.io/token");
  BOOST_TEST(c[0].params["service"] == "ghcr.io");
  BOOST_TEST(c[0].params["scope"] == "repository:user/image:pull");
}

BOOST_AUTO_TEST_CASE(basic_ecr_and_error_params) {
  auto ecr = parse_www_authenticate(R"(Basic realm="https://1.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")");
  BOOST_TEST_REQUIRE(ecr.size() == 1u);
  BOOST_TEST(ecr[0].scheme == "basic");
  BOOST_TEST(ecr[0].params["service"] == "ecr.amazonaws.com");
  auto scoped = parse_www_authenticate(
      R"(Bearer realm="https://auth.example/token", service="reg", scope="repository:a:pull,push", error="insufficient_scope")");
  BOOST_TEST_REQUIRE(scoped.size() == 1u);
  BOOST_TEST(scoped[0].params["scope"] == "repository:a:pull,push");
  BOOST_TEST(scoped[0].params["error"] == "insufficient_scope");
}

BOOST_AUTO_TEST_CASE(several_challenges_and_case) {
  auto c = parse_www_authenticate(R"(BEARER Realm="r1", Service=s1, Basic realm="r\"2")");
  BOOST_TEST_REQUIRE(c.size() == 2u);
  BOOST_TEST(c[0].scheme == "bearer");
  BOOST_TEST(c[0].params["realm"] == "r1");
  BOOST_TEST(c[0].params["service"] == "s1");
  BOOST_TEST(c[1].scheme == "basic");
  BOOST_TEST(c[1].params["realm"] == "r\"2");
}

BOOST_AUTO_TEST_CASE(garbage_never_throws) {
  for (const char* junk : {"", ",,,", "Bearer", "Bearer realm=", "Bearer realm=\"unterminated", "=x", "\"\"", "Basic abc==",
                           "Bearer ,,, realm=\"x\""}) {
    BOOST_CHECK_NO_THROW(parse_www_authenticate(junk));
  }
  auto unterminated = parse_www_authenticate("Bearer realm=\"unterminated");
  BOOST_TEST_REQUIRE(unterminated.size() == 1u);
  BOOST_TEST(unterminated[0].params.count("realm") == 0u);
  auto bare = parse_www_authenticate("Bearer");
  BOOST_TEST_REQUIRE(bare.size() == 1u);
  BOOST_TEST(bare[0].params.empty());
}

BOOST_AUTO_TEST_SUITE_END()
