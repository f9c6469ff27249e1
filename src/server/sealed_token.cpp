#include "server/sealed_token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "base/base64.h"
#include "base/error.h"
#include "base/sha256.h"

namespace otr {

namespace {

constexpr unsigned char kFormatVersion = 2;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kMaxTokenChars = 16384;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

void put_field(std::string& out, std::string_view field) {
  uint32_t n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  out.append(field);
}

bool get_field(std::string_view& in, std::string& field) {
  if (in.size() < 4) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(4);
  if (n > in.size()) return false;
  field.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

}  // namespace

TokenSealer::TokenSealer(std::string current, std::vector<std::string> retired) {
  retired.insert(retired.begin(), std::move(current));
  for (std::string& key : retired) {
    if (key.size() != 32) throw std::invalid_argument("a sealing key must be 32 bytes");
    // The first byte of the key's SHA-256: names the key without revealing anything of it.
    auto id = static_cast<unsigned char>(std::stoi(sha256_hex(key).substr(0, 2), nullptr, 16));
    keys_.push_back({std::move(key), id});
  }
}

namespace {

// AES-256-GCM over `plain` with `header` (version, key id) as additional authenticated data.
std::string encrypt(const std::string& key, const unsigned char* nonce, std::string_view header, std::string_view plain,
                    unsigned char* tag) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string cipher(plain.size(), '\0');
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(header.data()),
                        static_cast<int>(header.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()), &len,
                        reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()) + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) != 1)
    throw std::runtime_error("token encryption failed");
  return cipher;
}

std::optional<std::string> decrypt(const std::string& key, const unsigned char* nonce, std::string_view header,
                                   const unsigned char* cipher, size_t cipher_len, const unsigned char* tag_in) {
  unsigned char tag[kTagSize];
  std::copy(tag_in, tag_in + kTagSize, tag);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string plain(cipher_len, '\0');
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(header.data()),
                        static_cast<int>(header.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, cipher,
                        static_cast<int>(cipher_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1)
    return std::nullopt;
  return plain;
}

}  // namespace

std::string TokenSealer::seal(const DownloadGrant& grant) const {
  std::string plain;
  put_field(plain, std::string(1, static_cast<char>(grant.purpose)));
  put_field(plain, grant.service);
  put_field(plain, grant.repository);
  put_field(plain, grant.digest);
  put_field(plain, std::to_string(grant.expires_at));
  put_field(plain, grant.authorization);

  unsigned char nonce[kNonceSize];
  if (RAND_bytes(nonce, sizeof nonce) != 1) throw std::runtime_error("no randomness for a token nonce");
  const Key& key = keys_.front();
  const std::string header{static_cast<char>(kFormatVersion), static_cast<char>(key.id)};
  unsigned char tag[kTagSize];
  std::string cipher = encrypt(key.bytes, nonce, header, plain, tag);
  std::string sealed = header;
  sealed.append(reinterpret_cast<char*>(nonce), kNonceSize);
  sealed += cipher;
  sealed.append(reinterpret_cast<char*>(tag), kTagSize);
  std::string token = base64url_encode(sealed);
  // open() refuses longer tokens: a link that could never open is refused now, saying why.
  if (token.size() > kMaxTokenChars)
    throw Error(ErrorKind::kInvalidInput, "the Authorization header is too large to be sealed into a download link "
                                          "(at most about 12 KiB)");
  return token;
}

TokenSealer::Opened TokenSealer::open(std::string_view token, TokenPurpose purpose, std::int64_t now) const {
  Opened result;
  result.error = TokenError::kMalformed;
  if (token.size() > kMaxTokenChars) return result;
  auto raw = base64url_decode(token);
  constexpr size_t kHeader = 2;
  if (!raw || raw->size() < kHeader + kNonceSize + kTagSize || static_cast<unsigned char>((*raw)[0]) != kFormatVersion)
    return result;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  const std::string_view header(raw->data(), kHeader);
  const unsigned char* nonce = bytes + kHeader;
  const unsigned char* cipher = nonce + kNonceSize;
  size_t cipher_len = raw->size() - kHeader - kNonceSize - kTagSize;

  result.error = TokenError::kBadSeal;
  std::optional<std::string> plain;
  for (const Key& key : keys_) {
    if (key.id != bytes[1]) continue;
    plain = decrypt(key.bytes, nonce, header, cipher, cipher_len, cipher + cipher_len);
    if (plain) break;
  }
  if (!plain) return result;

  // Authentic from here on; a layout problem would be our own bug, reported as malformed.
  result.error = TokenError::kMalformed;
  std::string_view in(*plain);
  DownloadGrant grant;
  std::string purpose_field;
  std::string expires;
  if (!get_field(in, purpose_field) || !get_field(in, grant.service) || !get_field(in, grant.repository) ||
      !get_field(in, grant.digest) || !get_field(in, expires) || !get_field(in, grant.authorization) || !in.empty() ||
      purpose_field.size() != 1)
    return result;
  if (purpose_field[0] != static_cast<char>(purpose)) {
    result.error = TokenError::kWrongPurpose;
    return result;
  }
  grant.purpose = purpose;
  try {
    grant.expires_at = std::stoll(expires);
  } catch (const std::exception&) {
    return result;
  }
  if (now >= grant.expires_at) {
    result.error = TokenError::kExpired;
    return result;
  }
  result.grant = std::move(grant);
  return result;
}

}  // namespace otr
