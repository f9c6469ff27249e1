// OpenPGP, and the only code that touches gpgme: detached signatures made with the operator's key
// (the provider registry protocol's SHA256SUMS.sig), and the check of a publisher's signature over
// an upstream registry's SHA256SUMS (pull-through).
//
// Signing goes through GnuPG's own library, gpgme (Debian: libgpgme-dev, gnupg): OpenPGP packet
// formats, key parsing, passphrases and algorithms stay GnuPG's job, and any key GnuPG can use works
// (RSA, Ed25519, with a signing subkey or not). The key is imported into a private GnuPG home created
// for this process, "otr-gnupg-<pid>-XXXXXX" under signing_home_parent(), which the destructor
// removes after stopping its gpg-agent; the user's own keyrings are never touched.
//
// A process that ends without destructors (a worker past its shutdown deadline, SIGKILL, a crash)
// would leave its home, with the secret key, behind: remove_own_signing_homes() is for the exits the
// program controls, remove_signing_homes_of() for the master after it reaps a worker, and
// sweep_stale_signing_homes() for start-up (homes of processes that no longer exist).
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace otr {

// The key cannot be used: the registry answers 503 until it can.
class SigningError : public Error {
 public:
  explicit SigningError(const std::string& message) : Error(ErrorKind::kUnavailable, message) {}
};

class OpenPgpSigner {
 public:
  // `key_file`: one secret key, armored or binary, as `gpg --export-secret-keys` writes it.
  // `passphrase`: for a protected key; "" for none. Throws SigningError naming the file and the
  // problem (unreadable, no secret key, several secret keys, a missing or wrong passphrase), or
  // GnuPG's own (not installed, no home can be made).
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
  // One signature over `data` into `signature`; GnuPG's error (a gpgme_error_t, kept out of this
  // header: gpgme is this file's implementation only), or 0. Throws SigningError for failures
  // before the signing itself.
  unsigned int sign_raw(std::string_view data, std::string& signature) const;

  std::string home_;
  std::string passphrase_;
  std::string key_id_;
  std::string fingerprint_;
  std::string public_key_;
  mutable std::mutex mutex_;
};

// What check_detached_signature() found.
struct SignatureCheck {
  bool valid = false;
  std::size_t key_index = 0;  // valid: which of the given keys made the signature
  std::string key_id;         // valid: that key's ID, 16 upper-case hex digits
  std::string problem;        // not valid: why, in a few words ("made with key 0123..., which is not
                              // one of the given keys", "the signature does not match the data")
};

// Whether `signature` (a binary or armored detached OpenPGP signature) is a good signature over
// exactly `data` made by one of `armored_keys` (public keys, armored or binary), the trust rule
// Terraform and OpenTofu apply to a registry's SHA256SUMS: no trust database, no expiry policy
// beyond GnuPG's own verdict. Works in a private GnuPG home made and removed for the call (the
// user's keyrings are never read); thread-safe. Not valid (with the problem said) when none of
// `armored_keys` is a key. Throws SigningError when GnuPG cannot run.
SignatureCheck check_detached_signature(std::string_view data, std::string_view signature,
                                        const std::vector<std::string>& armored_keys);

// Where the private GnuPG homes go: the first entry of $RUNTIME_DIRECTORY (systemd's
// RuntimeDirectory=, private to the service and removed when it stops) if set, else $TMPDIR, else /tmp.
std::string signing_home_parent();

// Removes the GnuPG homes of signers of this process now (stopping their agents), for an exit that
// will not run destructors. The signers must not be used afterwards. Thread-safe.
void remove_own_signing_homes();

// Removes the homes that process `pid` (gone: reaped by the caller) left under signing_home_parent().
void remove_signing_homes_of(pid_t pid);

// Removes every home of this program, owned by this user, whose process no longer exists.
void sweep_stale_signing_homes();

}  // namespace otr
