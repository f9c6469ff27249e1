#include "oci/digest_verifier.h"

#include <stdexcept>

#include "base/hex.h"
#include "base/names.h"

namespace otr {

DigestVerifier::DigestVerifier(std::string_view digest) : ctx_(EVP_MD_CTX_new()) {
  if (!is_valid_digest(digest)) throw std::invalid_argument("not a sha256 or sha512 digest: " + std::string(digest));
  const EVP_MD* algorithm = digest.starts_with("sha512:") ? EVP_sha512() : EVP_sha256();
  expected_hex_ = std::string(digest.substr(digest.find(':') + 1));
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), algorithm, nullptr) != 1)
    throw std::runtime_error("cannot initialise the digest");
}

void DigestVerifier::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) throw std::runtime_error("digest update failed");
}

bool DigestVerifier::matches() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &length) != 1) throw std::runtime_error("digest final failed");
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), length)) == expected_hex_;
}

bool digest_matches(std::string_view digest, std::string_view content) {
  if (!is_valid_digest(digest)) return false;
  DigestVerifier verifier(digest);
  verifier.update(content);
  return verifier.matches();
}

bool digest_matches(std::string_view digest, std::string_view content, std::string_view content_sha256) {
  return digest.starts_with("sha256:") ? digest == content_sha256 : digest_matches(digest, content);
}

VerifiedStream::VerifiedStream(std::string_view digest, const std::function<bool(std::string_view)>& receiver)
    : hash_(digest), receiver_(receiver) {}

bool VerifiedStream::feed(std::string_view chunk) {
  hash_.update(chunk);
  if (!held_.empty() && !receiver_(held_)) return false;
  held_.assign(chunk);
  return true;
}

bool VerifiedStream::finish() {
  if (!hash_.matches()) return false;
  if (!held_.empty()) receiver_(held_);
  return true;
}

}  // namespace otr
