#include <boost/test/unit_test.hpp>

#include "responses.h"

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

BOOST_AUTO_TEST_SUITE_END()
