#include <boost/test/unit_test.hpp>

#include "http/responses.h"

using namespace otr;

BOOST_AUTO_TEST_SUITE(responses)

BOOST_AUTO_TEST_CASE(json_error_shape) {
  Response r = json_error(404, "no such \"thing\"");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.headers.get("content-type") == "application/json");
  BOOST_TEST(r.body == "{\"errors\":[\"no such \\\"thing\\\"\"]}\n");
  BOOST_TEST(!r.headers.has("WWW-Authenticate"));
  BOOST_TEST(json_error(401, "denied").headers.get("WWW-Authenticate").starts_with("Bearer "));
}

BOOST_AUTO_TEST_CASE(json_document_etag_and_conditional_get) {
  Request request;
  Response first = json_document(request, "{}", "{}", std::chrono::seconds(30));
  BOOST_TEST(first.status == 200);
  BOOST_TEST(first.headers.get("Content-Type") == "application/json");
  BOOST_TEST(first.headers.get("Cache-Control") == "public, max-age=30");
  std::string etag = first.headers.get("ETag");
  BOOST_TEST(etag.size() == 34u);

  request.headers.set("If-None-Match", "\"other\", W/" + etag);
  Response again = json_document(request, "{}", "{}", std::chrono::seconds(30));
  BOOST_TEST(again.status == 304);
  BOOST_TEST(again.body.empty());
  BOOST_TEST(again.headers.get("ETag") == etag);

  request.headers.set("If-None-Match", "\"other\"");
  BOOST_TEST(json_document(request, "{}", "{}", std::chrono::seconds(30)).status == 200);
}

BOOST_AUTO_TEST_CASE(credentials_make_documents_private) {
  Request request;
  request.headers.set("Authorization", "Bearer x");
  Response r = json_document(request, "{}", "{}", std::chrono::seconds(5));
  BOOST_TEST(r.headers.get("Cache-Control") == "private, max-age=5");
  BOOST_TEST(r.headers.get("Vary") == "Authorization");
}

BOOST_AUTO_TEST_CASE(html_escaping) {
  BOOST_TEST(html_escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

BOOST_AUTO_TEST_CASE(registry_failures_give_clients_no_internal_detail) {
  Request request;
  request.request_id = "req-42";
  const std::string detail = "tag list of a/b: registry unreachable (Failed to connect to 10.1.2.3 port 5000)";
  struct Case {
    ErrorKind failure;
    int status;
    std::string words;
  };
  for (const Case& c : {Case{ErrorKind::kUnreachable, 502, "could not be read"},
                        Case{ErrorKind::kTimeout, 504, "did not answer in time"},
                        Case{ErrorKind::kBadResponse, 502, "cannot use"},
                        Case{ErrorKind::kUnauthorized, 401, "refused access"}}) {
    Response r = error_response(Error(c.failure, detail), request, "mirror");
    BOOST_TEST(r.status == c.status);
    BOOST_TEST(r.body.find(c.words) != std::string::npos, r.body);
    BOOST_TEST(r.body.find("req-42") != std::string::npos);
    BOOST_TEST(r.body.find("10.1.2.3") == std::string::npos);
    BOOST_TEST(r.body.find("Failed to connect") == std::string::npos);
  }
  Response missing = error_response(Error(ErrorKind::kNotFound, detail), request, "m");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.body.find("10.1.2.3") == std::string::npos);
  BOOST_TEST(error_response(Error(ErrorKind::kInternal, "bug at 0xdead"), request, "").status == 500);
  BOOST_TEST(error_response(Error(ErrorKind::kInternal, "bug at 0xdead"), request, "").body.find("0xdead") ==
             std::string::npos);
  BOOST_TEST(error_response(Error(ErrorKind::kUnavailable, "gpg: no secret key"), request, "").status == 503);
  BOOST_TEST(error_response(Error(ErrorKind::kInvalidInput, "bad path"), request, "").body.find("bad path") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
