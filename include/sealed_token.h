// Sealed download tokens: authenticated encryption (AES-256-GCM, OpenSSL) of what a proxied
// download URL needs, so a URL handed to a client can be neither read nor altered.
//
// A token binds the service, the repository, the blob digest, an expiry and the caller's
// Authorization header (Terraform sends no credentials when it downloads a package; the sealed
// header is how they reach the registry). Tokens are URL-safe base64 without padding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otr {

struct DownloadGrant {
  std::string service;        // provider_mirror name; checked against the URL's service
  std::string repository;
  std::string digest;
  std::int64_t expires_at = 0;  // unix seconds
  std::string authorization;  // the caller's Authorization header value, "" if none
};

enum class TokenError { kMalformed, kBadSeal, kExpired };

class TokenSealer {
 public:
  // `key` is 32 raw bytes; throws std::invalid_argument otherwise.
  explicit TokenSealer(std::string key);

  // Random 96-bit nonce per call.
  std::string seal(const DownloadGrant& grant) const;

  // Verifies and decrypts. kMalformed: not base64 / too short / wrong version byte;
  // kBadSeal: tampered, or sealed with another key; kExpired: valid but past expires_at at `now`.
  struct Opened {
    std::optional<DownloadGrant> grant;
    TokenError error = TokenError::kMalformed;
  };
  Opened open(std::string_view token, std::int64_t now) const;

 private:
  std::string key_;
};

// Decodes 64 hex digits into 32 bytes; nullopt when the text is anything else.
std::optional<std::string> decode_hex_key(std::string_view hex);

}  // namespace otr
