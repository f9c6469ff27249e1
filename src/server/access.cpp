#include "server/access.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <optional>

#include "base/sha256.h"

namespace otr {

namespace {

struct Address {
  std::array<unsigned char, 16> bytes{};
  int length = 0;  // 4 or 16
};

std::optional<Address> parse_address(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.length = 4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.length = 16;
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {  // ::ffff:10.1.2.3 is 10.1.2.3
      std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
      a.length = 4;
    }
    return a;
  }
  return std::nullopt;
}

bool in_range(const Address& a, const std::string& range) {
  const size_t slash = range.find('/');
  std::optional<Address> base = parse_address(range.substr(0, slash));
  if (!base || base->length != a.length) return false;
  int bits = a.length * 8;
  if (slash != std::string::npos) {
    try {
      bits = std::stoi(range.substr(slash + 1));
    } catch (const std::exception&) {
      return false;
    }
    if (bits < 0 || bits > a.length * 8) return false;
  }
  for (int i = 0; i < a.length && bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base->bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

bool address_in(const std::string& address, const std::vector<std::string>& ranges) {
  std::optional<Address> a = parse_address(address);
  if (!a) return false;
  for (const std::string& range : ranges)
    if (in_range(*a, range)) return true;
  return false;
}

namespace {

std::string digest_of(std::string_view text) {
  Sha256 hash;
  hash.update(text);
  return hash.raw_digest();
}

}  // namespace

bool secrets_equal(std::string_view given, std::string_view expected) {
  // Digests of both: the same length whatever was given, compared without an early exit.
  const std::string a = digest_of(given), b = digest_of(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace otr
