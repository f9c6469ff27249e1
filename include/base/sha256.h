// SHA-256 through OpenSSL's EVP interface, incremental or one-shot.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace otr {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  // Lower-case hex of the digest; the object cannot be updated afterwards.
  std::string hex_digest();
  // Raw 32 bytes; the object cannot be updated afterwards.
  std::string raw_digest();

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_;
};

std::string sha256_hex(std::string_view data);

}  // namespace otr
