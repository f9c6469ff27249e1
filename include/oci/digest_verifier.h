// Checking content against an OCI content digest as it streams: "sha256:<64 hex>" or
// "sha512:<128 hex>", the algorithms OCI registries use (OpenSSL's EVP does the hashing).
#pragma once

#include <openssl/evp.h>

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

}  // namespace otr
