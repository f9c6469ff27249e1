#include <boost/test/unit_test.hpp>

#include "http/byte_range.h"

namespace otr {
namespace {

ByteRange range(const char* header, std::int64_t size = 1000, const char* if_range = "") {
  return parse_byte_range(header, if_range, "\"sha256:x\"", size);
}
bool whole(const ByteRange& r) { return r.kind == ByteRange::Kind::kWhole; }
bool unsatisfiable(const ByteRange& r) { return r.kind == ByteRange::Kind::kUnsatisfiable; }

}  // namespace

BOOST_AUTO_TEST_SUITE(byte_range)

BOOST_AUTO_TEST_CASE(one_range_of_bytes_is_a_part) {
  ByteRange r = range("bytes=100-199");
  BOOST_TEST(!whole(r));
  BOOST_TEST(r.first == 100);
  BOOST_TEST(r.last == 199);
  BOOST_TEST(content_range(r, 1000) == "bytes 100-199/1000");
  BOOST_TEST(range("bytes=900-").last == 999);
  BOOST_TEST(range("bytes=900-5000").last == 999);  // clipped to the end
  BOOST_TEST(range("bytes=-300").first == 700);
  BOOST_TEST(range("bytes=-5000").first == 0);
  BOOST_TEST(range("bytes=0-0").length() == 1);
}

BOOST_AUTO_TEST_CASE(what_is_not_one_satisfiable_range_is_the_whole_body_or_416) {
  BOOST_TEST(whole(range("")));
  BOOST_TEST(whole(range("bytes=0-1,5-6")));
  BOOST_TEST(whole(range("items=0-1")));
  BOOST_TEST(whole(range("bytes=5-1")));
  BOOST_TEST(whole(range("bytes=x-")));
  BOOST_TEST(whole(range("bytes=1-2", -1)));  // size unknown
  BOOST_TEST(unsatisfiable(range("bytes=1000-")));
  BOOST_TEST(unsatisfiable(range("bytes=-0")));
  BOOST_TEST(content_range(range("bytes=2000-"), 1000) == "bytes */1000");
}

BOOST_AUTO_TEST_CASE(if_range_must_name_this_body) {
  BOOST_TEST(!whole(range("bytes=1-2", 1000, "\"sha256:x\"")));
  BOOST_TEST(whole(range("bytes=1-2", 1000, "\"sha256:other\"")));
  BOOST_TEST(whole(range("bytes=1-2", 1000, "Tue, 01 Dec 2026 00:00:00 GMT")));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
