// Who may read what only operators should (GET /metrics): a client address against CIDR ranges, and
// a bearer token compared in constant time. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otr {

// Whether `address` (IPv4, IPv6, or IPv4-mapped IPv6 as web servers pass REMOTE_ADDR) is in one
// of `ranges` ("10.0.0.0/8", "::1/128", or an address alone). False for anything unparsable.
bool address_in(const std::string& address, const std::vector<std::string>& ranges);

// Whether `given` equals `expected`, in a time that does not depend on where they differ.
bool secrets_equal(std::string_view given, std::string_view expected);

}  // namespace otr
