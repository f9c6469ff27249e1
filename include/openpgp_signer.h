// Detached OpenPGP signatures made with the operator's key, for the provider registry protocol's
// SHA256SUMS.sig.
//
// Signing goes through GnuPG's own library, gpgme (Debian: libgpgme-dev, gnupg): OpenPGP packet
// formats, key parsing, passphrases and algorithms stay GnuPG's job, and any key GnuPG can use works
// (RSA, Ed25519, with a signing subkey or not). The key is imported into a private GnuPG home created
// for this process under $TMPDIR (default /tmp), which the destructor removes after stopping its
// gpg-agent; the user's own keyrings are never touched.
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

namespace otr {

class SigningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OpenPgpSigner {
 public:
  // `key_file`: one secret key, armored or binary, as `gpg --export-secret-keys` writes it.
  // `passphrase`: for a protected key; "" for none. Throws SigningError naming the file and the
  // problem (unreadable, no secret key, several secret keys, wrong passphrase, GnuPG missing).
  OpenPgpSigner(const std::string& key_file, const std::string& passphrase);
  ~OpenPgpSigner();
  OpenPgpSigner(const OpenPgpSigner&) = delete;
  OpenPgpSigner& operator=(const OpenPgpSigner&) = delete;

  const std::string& key_id() const { return key_id_; }              // 16 upper-case hex digits
  const std::string& fingerprint() const { return fingerprint_; }
  const std::string& public_key_armored() const { return public_key_; }

  // A binary (not armored) detached signature over `data`. Thread-safe. Throws SigningError.
  std::string sign(std::string_view data) const;

  // The key ID (16 upper-case hex digits) of the first key in `public_key` (armored or binary),
  // read without importing it. Thread-safe. Throws SigningError when it holds no key.
  std::string key_id_of(std::string_view public_key) const;

 private:
  std::string home_;
  std::string passphrase_;
  std::string key_id_;
  std::string fingerprint_;
  std::string public_key_;
  mutable std::mutex mutex_;
};

}  // namespace otr
