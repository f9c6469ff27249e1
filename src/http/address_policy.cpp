#include "http/address_policy.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

namespace otr {

namespace {

struct Net4 {
  std::uint32_t base;
  int bits;
};

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) { return (a << 24) | (b << 16) | (c << 8) | d; }

constexpr std::array<Net4, 15> kNotPublic4 = {{
    {ip4(0, 0, 0, 0), 8},       {ip4(10, 0, 0, 0), 8},     {ip4(100, 64, 0, 0), 10},  {ip4(127, 0, 0, 0), 8},
    {ip4(169, 254, 0, 0), 16},  {ip4(172, 16, 0, 0), 12},  {ip4(192, 0, 0, 0), 24},   {ip4(192, 0, 2, 0), 24},
    {ip4(192, 88, 99, 0), 24},  {ip4(192, 168, 0, 0), 16}, {ip4(198, 18, 0, 0), 15},  {ip4(198, 51, 100, 0), 24},
    {ip4(203, 0, 113, 0), 24},  {ip4(224, 0, 0, 0), 4},    {ip4(240, 0, 0, 0), 4},
}};

bool is_public4(std::uint32_t a) {
  for (const Net4& net : kNotPublic4) {
    std::uint32_t mask = ~std::uint32_t{0} << (32 - net.bits);
    if ((a & mask) == net.base) return false;
  }
  return true;
}

std::uint32_t ip4_at(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

bool starts_with_bytes(const unsigned char* b, std::initializer_list<unsigned> prefix) {
  std::size_t i = 0;
  for (unsigned byte : prefix)
    if (b[i++] != byte) return false;
  return true;
}

bool is_public6(const unsigned char* b) {
  // Forms that carry an IPv4 address.
  if (starts_with_bytes(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})) return is_public4(ip4_at(b + 12));  // mapped
  if (starts_with_bytes(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) return is_public4(ip4_at(b + 12));  // NAT64
  if (starts_with_bytes(b, {0x20, 0x02})) return is_public4(ip4_at(b + 2));  // 6to4
  if ((b[0] & 0xe0) != 0x20) return false;                                   // outside 2000::/3
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) return false;              // 2001::/23
  if (starts_with_bytes(b, {0x20, 0x01, 0x0d, 0xb8})) return false;           // 2001:db8::/32
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) return false;       // 3fff::/20
  return true;
}

}  // namespace

bool is_public_address(std::string_view address) {
  const std::string text(address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return is_public4(ip4_at(bytes));
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) return is_public6(bytes);
  return false;
}

}  // namespace otr
