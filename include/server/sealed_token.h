// Sealed download tokens: authenticated encryption (AES-256-GCM, OpenSSL) of what a URL handed to
// a client needs, so that it can be neither read nor altered.
//
// A token binds its purpose (a package download, or a release's checksums), the service, the
// repository, a digest (the package's, or the release's), an expiry and the caller's Authorization
// header (Terraform sends no credentials when it downloads a package or the checksums; the sealed
// header is how they reach the registry). A token of one purpose is never accepted for the other.
//
// Key rotation: a sealer holds the current key, which seals, and any number of retired keys, which
// still open the tokens they sealed until those expire. Each token names its key by a one-byte key
// id (from the key's SHA-256), so opening tries only the keys that can have sealed it.
// Format: version (2) | key id | 96-bit nonce | ciphertext | 128-bit tag, URL-safe base64 without
// padding; version and key id are authenticated with the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otr {

enum class TokenPurpose : char {
  kPackage = 'p',    // GET|HEAD <service>/_packages/<digest>/<file>
  kChecksums = 'c',  // a release's SHA256SUMS and SHA256SUMS.sig
};

struct DownloadGrant {
  TokenPurpose purpose = TokenPurpose::kPackage;
  std::string service;        // the service's name; checked against the URL's service
  std::string repository;
  std::string digest;         // kPackage: the blob's; kChecksums: the release manifest's
  std::int64_t expires_at = 0;  // unix seconds
  std::string authorization;  // the caller's Authorization header value, "" if none
};

enum class TokenError {
  kMalformed,     // not base64, too short, another format version
  kBadSeal,       // tampered, or sealed with a key this sealer does not hold
  kWrongPurpose,  // authentic, but made for the other purpose
  kExpired,       // authentic, but past expires_at
};

class TokenSealer {
 public:
  // `current` seals and opens; `retired` keys only open. Every key is 32 raw bytes; throws
  // std::invalid_argument otherwise.
  explicit TokenSealer(std::string current, std::vector<std::string> retired = {});

  // Random 96-bit nonce per call. A grant too large for open() to accept (an Authorization over
  // about 12 KiB) is Error(kInvalidInput). Thread-safe.
  std::string seal(const DownloadGrant& grant) const;

  // Verifies and decrypts a token made for `purpose`, at time `now` (unix seconds). Thread-safe.
  struct Opened {
    std::optional<DownloadGrant> grant;
    TokenError error = TokenError::kMalformed;
  };
  Opened open(std::string_view token, TokenPurpose purpose, std::int64_t now) const;

 private:
  struct Key {
    std::string bytes;
    unsigned char id;
  };
  std::vector<Key> keys_;  // [0] is the current key
};

}  // namespace otr
