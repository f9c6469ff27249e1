#include <boost/test/unit_test.hpp>

#include "http/request_path.h"

using otr::split_request_path;

BOOST_AUTO_TEST_SUITE(request_path)

BOOST_AUTO_TEST_CASE(splits_and_decodes_segments) {
  auto p = split_request_path("/mirror/registry.terraform.io/hashicorp/null/index.json");
  BOOST_TEST(p.status == 200);
  BOOST_TEST(p.segments == (std::vector<std::string>{"mirror", "registry.terraform.io", "hashicorp", "null", "index.json"}),
             boost::test_tools::per_element());
  BOOST_TEST(!p.trailing_slash);
  auto q = split_request_path("/mirror/a%2Bb/1.0.0%2Bx.json");
  BOOST_TEST(q.status == 200);
  BOOST_TEST(q.segments[2] == "1.0.0+x.json");
}

BOOST_AUTO_TEST_CASE(trailing_slash_and_root) {
  auto root = split_request_path("/");
  BOOST_TEST(root.status == 200);
  BOOST_TEST(root.segments.empty());
  BOOST_TEST(root.trailing_slash);
  auto svc = split_request_path("/mirror/");
  BOOST_TEST(svc.segments.size() == 1u);
  BOOST_TEST(svc.trailing_slash);
  BOOST_TEST(!split_request_path("/mirror").trailing_slash);
}

BOOST_AUTO_TEST_CASE(rejects_what_must_not_reach_a_registry) {
  struct Case {
    const char* path;
    int status;
    const char* problem;
  };
  const Case cases[] = {
      {"/mirror/a%2Fb/c", 400, "encoded slash in path"},
      {"/mirror/a%2fb/c", 400, "encoded slash in path"},
      {"/mirror/a%5Cb", 400, "encoded slash in path"},
      {"/mirror/../etc", 400, "dot segment in path"},
      {"/mirror/./x", 400, "dot segment in path"},
      {"/mirror/%2e%2e/x", 400, "dot segment in path"},
      {"/mirror/%2E/x", 400, "dot segment in path"},
      {"/mirror/a%00b", 400, "control character in path"},
      {"/mirror/a%0Ab", 400, "control character in path"},
      {"/mirror/a%zzb", 400, "invalid percent-encoding in path"},
      {"/mirror/a%4", 400, "invalid percent-encoding in path"},
      {"/mirror/a%", 400, "invalid percent-encoding in path"},
      {"mirror/x", 400, "request path must start with '/'"},
      {"", 400, "request path must start with '/'"},
      {"/mirror//x", 404, "empty path segment"},
      {"//", 404, "empty path segment"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.path) {
      auto p = split_request_path(c.path);
      BOOST_TEST(p.status == c.status);
      BOOST_TEST(p.problem == c.problem);
      BOOST_TEST(p.segments.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_overlong_paths) {
  std::string path = "/" + std::string(otr::kMaxPathLength, 'a');
  BOOST_TEST(split_request_path(path).status == 400);
  std::string fits = "/" + std::string(otr::kMaxPathLength - 1, 'a');
  BOOST_TEST(split_request_path(fits).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
