#include <boost/test/unit_test.hpp>

#include "base/hex.h"

using namespace otr;

BOOST_AUTO_TEST_SUITE(hex)

BOOST_AUTO_TEST_CASE(round_trip_and_refusals) {
  BOOST_TEST(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
  BOOST_TEST(hex_decode("00FF10").value_or("") == std::string("\x00\xff\x10", 3));
  BOOST_TEST(!hex_decode("0"));
  BOOST_TEST(!hex_decode("0g"));
}

BOOST_AUTO_TEST_CASE(hex_keys) {
  BOOST_TEST(decode_hex_key(std::string(64, '0')).value_or("") == std::string(32, '\0'));
  BOOST_TEST(decode_hex_key("00112233445566778899aabbccddeeffAABBCCDDEEFF00112233445566778899")->size() == 32u);
  BOOST_TEST(!decode_hex_key(std::string(63, '0')));
  BOOST_TEST(!decode_hex_key(std::string(62, '0') + "0g"));
}

BOOST_AUTO_TEST_SUITE_END()
