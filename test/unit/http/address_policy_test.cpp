// Which addresses count as public for upstream fetches (http/address_policy.h).
#include <boost/test/unit_test.hpp>

#include "http/address_policy.h"

namespace otr {

BOOST_AUTO_TEST_SUITE(address_policy)

BOOST_AUTO_TEST_CASE(public_addresses_of_both_families_are_public) {
  for (const char* a : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.15.255.255",
                        "172.32.0.0", "192.167.255.255", "169.253.1.1", "11.0.0.1", "223.255.255.254",
                        "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888",
                        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"})
    BOOST_TEST(is_public_address(a), a);
}

BOOST_AUTO_TEST_CASE(loopback_private_link_local_and_reserved_addresses_are_not) {
  for (const char* a : {// IPv4: this network, RFC 1918, CGNAT, loopback, link-local, IETF, documentation,
                        // 6to4 relays, benchmarking, multicast, reserved, broadcast
                        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "100.64.0.1", "100.127.255.255", "127.0.0.1", "127.0.0.2", "127.255.255.254",
                        "169.254.169.254", "192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9", "192.88.99.1",
                        "198.18.0.1", "198.19.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
                        "255.255.255.255",
                        // IPv6: unspecified, loopback, unique local, link-local, site-local, multicast,
                        // documentation, IETF protocol assignments (Teredo), discard, local NAT64
                        "::", "::1", "fc00::1", "fd12:3456:789a::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
                        "2001:db8::1", "3fff::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:1ff::1",
                        "100::1", "64:ff9b:1::1",
                        // IPv6 forms of a non-public IPv4 address: mapped, compatible, NAT64, 6to4
                        "::ffff:127.0.0.1", "::ffff:7f00:2", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                        "::127.0.0.1", "::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::1",
                        "2002:c0a8:101::1",
                        // not an address at all
                        "", "localhost", "127.1", "1.2.3", "[::1]", "::1%lo", "8.8.8.8 ", "0x7f000001"})
    BOOST_TEST(!is_public_address(a), a);
}

BOOST_AUTO_TEST_CASE(the_policy_decides_which_addresses_are_allowed) {
  BOOST_TEST(address_allowed(AddressPolicy::kAny, "127.0.0.2"));
  BOOST_TEST(address_allowed(AddressPolicy::kAny, "8.8.8.8"));
  BOOST_TEST(address_allowed(AddressPolicy::kPublicOnly, "8.8.8.8"));
  BOOST_TEST(!address_allowed(AddressPolicy::kPublicOnly, "127.0.0.2"));
  BOOST_TEST(!address_allowed(AddressPolicy::kPublicOnly, "::ffff:192.168.0.1"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
