// Checking content against an OCI content digest as it streams: "sha256:<64 hex>" or
// "sha512:<128 hex>", the algorithms OCI registries use (OpenSSL's EVP does the hashing).
#pragma once

#include <openssl/evp.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace otr {

class DigestVerifier {
 public:
  // Throws std::invalid_argument when `digest` is not a sha256 or sha512 digest (see
  // is_valid_digest()): content named by anything else cannot be verified.
  explicit DigestVerifier(std::string_view digest);
  void update(std::string_view data);
  // Whether everything given to update() has the expected digest. Call once.
  bool matches();

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::string expected_hex_;
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_;
};

// Whether `content` has `digest` (false for a digest of another algorithm or form).
bool digest_matches(std::string_view digest, std::string_view content);
// The same, given the content's "sha256:<hex>" already computed: hashes again only for sha512.
bool digest_matches(std::string_view digest, std::string_view content, std::string_view content_sha256);

// Content passed on as it streams, the newest chunk held back until the digest is known: content
// that does not match never reaches the receiver whole. `receiver` must outlive the stream.
class VerifiedStream {
 public:
  // Throws std::invalid_argument as DigestVerifier does.
  VerifiedStream(std::string_view digest, const std::function<bool(std::string_view)>& receiver);
  // Hashes `chunk` and delivers the one before it; false once the receiver has stopped.
  bool feed(std::string_view chunk);
  // False when the content does not match (the last chunk is then never delivered); otherwise
  // delivers it and returns true. Call once, after the last feed().
  bool finish();

 private:
  DigestVerifier hash_;
  const std::function<bool(std::string_view)>& receiver_;
  std::string held_;
};

}  // namespace otr
