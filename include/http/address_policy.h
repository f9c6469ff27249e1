// Which addresses an outgoing connection may reach: any, or only public ones. Pull-through sets
// kPublicOnly for what an upstream's documents and redirects lead to (README "Pull-through",
// `allow_private_addresses`); the transport (http/client.h) judges the address it actually
// connects to, never the name in the URL (DNS can say anything). Pure functions, thread-safe.
#pragma once

#include <string_view>

namespace otr {

enum class AddressPolicy {
  kAny,         // every address (the registry, the token services, an operator's own hosts)
  kPublicOnly,  // only addresses is_public_address() accepts
};

// Whether `address`, a numeric IPv4 ("192.0.2.1") or IPv6 ("2001:db8::1", without brackets or
// zone) address, is a globally reachable unicast address. Not public:
//   IPv4: 0.0.0.0/8 (this network), 10/8, 172.16/12, 192.168/16 (RFC 1918), 100.64/10 (CGNAT),
//         127/8 (loopback), 169.254/16 (link-local), 192.0.0/24 (IETF), 192.0.2/24, 198.51.100/24,
//         203.0.113/24 (documentation), 192.88.99/24 (6to4 relays), 198.18/15 (benchmarking),
//         224/4 (multicast), 240/4 (reserved, 255.255.255.255 among them);
//   IPv6: everything outside 2000::/3 (::, ::1, fc00::/7 unique local, fe80::/10 link-local,
//         fec0::/10, ff00::/8 multicast, ...), and inside it 2001::/23 (IETF protocol assignments,
//         Teredo among them), 2001:db8::/32 and 3fff::/20 (documentation);
//   and text that is no address. IPv6 forms that carry an IPv4 address are judged by that address:
//   IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::/48; other ::/96 and
//   64:ff9b:1::/48 (local NAT64) are not public.
bool is_public_address(std::string_view address);

// Whether a connection to `address` (numeric, as above) is allowed under `policy`.
inline bool address_allowed(AddressPolicy policy, std::string_view address) {
  return policy == AddressPolicy::kAny || is_public_address(address);
}

}  // namespace otr
