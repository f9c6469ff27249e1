#include "base/sha256.h"

#include <stdexcept>

#include "base/hex.h"

namespace otr {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("cannot initialise SHA-256");
}

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) throw std::runtime_error("SHA-256 update failed");
}

std::string Sha256::raw_digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &len) != 1) throw std::runtime_error("SHA-256 final failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sha256::hex_digest() { return hex_encode(raw_digest()); }

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

}  // namespace otr
