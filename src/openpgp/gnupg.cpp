#include "openpgp/gnupg.h"

#include <fcntl.h>
#include <gpgme.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/unique_fd.h"

namespace otr {

namespace {

struct ContextDeleter {
  void operator()(gpgme_ctx_t c) const { gpgme_release(c); }
};
struct DataDeleter {
  void operator()(gpgme_data_t d) const { gpgme_data_release(d); }
};
struct KeyDeleter {
  void operator()(gpgme_key_t k) const { gpgme_key_unref(k); }
};
using Context = std::unique_ptr<gpgme_context, ContextDeleter>;
using Data = std::unique_ptr<gpgme_data, DataDeleter>;
using Key = std::unique_ptr<_gpgme_key, KeyDeleter>;

void check(gpgme_error_t err, const std::string& what) {
  if (err != 0) throw SigningError(what + ": " + gpgme_strerror(err));
}

void init_gpgme() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpgme_check_version(nullptr);
    if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
      throw SigningError("GnuPG (gpg) is not installed or too old; install the gnupg package");
  });
}

// Answers GnuPG's passphrase question (loopback pinentry) from the configured passphrase.
gpgme_error_t give_passphrase(void* hook, const char*, const char*, int prev_was_bad, int fd) {
  const std::string& passphrase = *static_cast<const std::string*>(hook);
  if (prev_was_bad) return gpg_error(GPG_ERR_BAD_PASSPHRASE);
  std::string line = passphrase + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = gpgme_io_write(fd, p, left);
    if (n <= 0) return gpg_error(GPG_ERR_CANCELED);
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

Context new_context(const std::string& home, const std::string* passphrase) {
  gpgme_ctx_t raw = nullptr;
  check(gpgme_new(&raw), "cannot start GnuPG");
  Context ctx(raw);
  check(gpgme_ctx_set_engine_info(ctx.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str()), "cannot use GnuPG home");
  gpgme_set_offline(ctx.get(), 1);
  if (passphrase != nullptr) {
    check(gpgme_set_pinentry_mode(ctx.get(), GPGME_PINENTRY_MODE_LOOPBACK), "cannot set GnuPG pinentry mode");
    gpgme_set_passphrase_cb(ctx.get(), give_passphrase, const_cast<std::string*>(passphrase));
  }
  return ctx;
}

Data data_from(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  check(gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 1), "cannot hand data to GnuPG");
  return Data(raw);
}

Data empty_data() {
  gpgme_data_t raw = nullptr;
  check(gpgme_data_new(&raw), "cannot allocate GnuPG data");
  return Data(raw);
}

std::string take(Data& data) {
  size_t length = 0;
  char* bytes = gpgme_data_release_and_get_mem(data.release(), &length);
  std::string out(bytes ? bytes : "", bytes ? length : 0);
  gpgme_free(bytes);
  return out;
}

constexpr const char* kHomePrefix = "otr-gnupg-";
constexpr std::size_t kMaxKeyFile = 1u << 20;

// The homes of this process's live signers.
std::mutex& homes_mutex() {
  static std::mutex m;
  return m;
}
std::set<std::string>& live_homes() {
  static std::set<std::string> homes;
  return homes;
}

std::string make_home() {
  std::string pattern = signing_home_parent() + "/" + kHomePrefix + std::to_string(::getpid()) + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr)
    throw SigningError("cannot create a GnuPG home under " + signing_home_parent() + ": " + std::strerror(errno));
  std::lock_guard lock(homes_mutex());
  live_homes().insert(buf.data());
  return buf.data();
}

// Stops the gpg-agent serving `home` (gpgconf --homedir HOME --kill gpg-agent), then removes it.
// gpgconf gets a minimal environment: nothing of ours (secrets included) reaches it.
void remove_home(const std::string& home) {
  std::string path = "PATH=/usr/local/bin:/usr/bin:/bin";
  std::string home_env = "HOME=" + home;
  std::vector<char*> envp = {path.data(), home_env.data(), nullptr};
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  try {
    int status = wait_program(spawn_program({"gpgconf", "--homedir", home, "--kill", "gpg-agent"}, envp.data(),
                                            null_fd.get(), null_fd.get(), null_fd.get()));
    if (status != 0) log_warning("gpgconf could not stop the gpg-agent of " + home + " (status " + std::to_string(status) + ")");
  } catch (const std::system_error& e) {
    log_warning("cannot run gpgconf to stop the gpg-agent of a signing home: " + std::string(e.what()));
  }
  std::error_code removed;
  std::filesystem::remove_all(home, removed);
  // The agent may still be removing its sockets as it exits: an entry gone under our feet is not a
  // failure; the walk is tried again for what is left.
  if (removed == std::errc::no_such_file_or_directory) {
    removed.clear();
    std::filesystem::remove_all(home, removed);
  }
  if (removed) log_warning("cannot remove the GnuPG home " + home + " (it holds a secret key): " + removed.message());
  std::lock_guard lock(homes_mutex());
  live_homes().erase(home);
}

// The pid in "otr-gnupg-<pid>-XXXXXX", or -1 when `name` is not one of our homes.
pid_t home_owner_pid(const std::string& name) {
  if (!name.starts_with(kHomePrefix)) return -1;
  std::string rest = name.substr(std::strlen(kHomePrefix));
  size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string::npos || dash > 9 || rest.size() != dash + 7) return -1;
  for (size_t i = 0; i < dash; ++i)
    if (rest[i] < '0' || rest[i] > '9') return -1;
  return static_cast<pid_t>(std::stol(rest.substr(0, dash)));
}

// Removes our homes under signing_home_parent() for which `gone(pid)` holds.
template <class Predicate>
void remove_homes_where(Predicate gone) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(signing_home_parent(), ec)) {
    std::string name = entry.path().filename().string();
    pid_t pid = home_owner_pid(name);
    if (pid <= 0 || !gone(pid)) continue;
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    remove_home(entry.path().string());
  }
}

}  // namespace

OpenPgpSigner::OpenPgpSigner(const std::string& key_file, const std::string& passphrase) : passphrase_(passphrase) {
  init_gpgme();
  std::string contents;
  try {
    contents = read_file_limited(key_file, kMaxKeyFile, "the signing key");
  } catch (const Error& e) {
    throw SigningError("cannot read the signing key \"" + key_file + "\": " + e.what());
  }
  home_ = make_home();
  try {
    Context ctx = new_context(home_, &passphrase_);
    Data key_data = data_from(contents);
    check(gpgme_op_import(ctx.get(), key_data.get()), "cannot import the signing key \"" + key_file + "\"");
    gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
    if (imported == nullptr || imported->secret_imported == 0)
      throw SigningError("the signing key file \"" + key_file +
                         "\" holds no OpenPGP secret key (export one with gpg --export-secret-keys)");

    check(gpgme_op_keylist_start(ctx.get(), nullptr, 1), "cannot list the imported key");
    std::vector<Key> keys;
    for (;;) {
      gpgme_key_t k = nullptr;
      gpgme_error_t err = gpgme_op_keylist_next(ctx.get(), &k);
      if (gpgme_err_code(err) == GPG_ERR_EOF) break;
      check(err, "cannot list the imported key");
      keys.emplace_back(k);
    }
    gpgme_op_keylist_end(ctx.get());
    if (keys.size() != 1)
      throw SigningError("the signing key file \"" + key_file + "\" must hold exactly one secret key, not " +
                         std::to_string(keys.size()));
    const gpgme_key_t key = keys[0].get();
    if (!key->can_sign || key->subkeys == nullptr)
      throw SigningError("the key in \"" + key_file + "\" cannot sign (no usable signing key or subkey)");
    key_id_ = key->subkeys->keyid;
    fingerprint_ = key->subkeys->fpr;

    gpgme_set_armor(ctx.get(), 1);
    Data exported = empty_data();
    check(gpgme_op_export(ctx.get(), fingerprint_.c_str(), 0, exported.get()), "cannot export the public key");
    public_key_ = take(exported);
    if (public_key_.empty()) throw SigningError("GnuPG exported an empty public key for \"" + key_file + "\"");
    // A wrong or missing passphrase fails now, not on the first request.
    std::string ignored;
    if (gpgme_error_t err = sign_raw("check that the key signs", ignored); err != 0) {
      gpgme_err_code_t code = gpgme_err_code(err);
      const bool passphrase_problem =
          code == GPG_ERR_NO_PASSPHRASE || code == GPG_ERR_BAD_PASSPHRASE || code == GPG_ERR_CANCELED;
      if (passphrase_problem && passphrase_.empty())
        throw SigningError("the key in \"" + key_file + "\" needs a passphrase: set signing_key_passphrase_file "
                           "or signing_key_passphrase_env");
      if (passphrase_problem)
        throw SigningError("the passphrase given for the key in \"" + key_file + "\" is not its passphrase");
      throw SigningError("the key in \"" + key_file + "\" cannot sign: " + gpgme_strerror(err));
    }
  } catch (...) {
    remove_home(home_);
    throw;
  }
}

OpenPgpSigner::~OpenPgpSigner() { remove_home(home_); }

unsigned int OpenPgpSigner::sign_raw(std::string_view data, std::string& signature) const {
  static_assert(sizeof(gpgme_error_t) == sizeof(unsigned int));
  std::lock_guard<std::mutex> lock(mutex_);
  Context ctx = new_context(home_, &passphrase_);
  gpgme_set_armor(ctx.get(), 0);
  gpgme_key_t raw = nullptr;
  check(gpgme_get_key(ctx.get(), fingerprint_.c_str(), &raw, 1), "the signing key is gone from the GnuPG home");
  Key key(raw);
  check(gpgme_signers_add(ctx.get(), key.get()), "cannot select the signing key");
  Data in = data_from(data);
  Data out = empty_data();
  if (gpgme_error_t err = gpgme_op_sign(ctx.get(), in.get(), out.get(), GPGME_SIG_MODE_DETACH); err != 0) return err;
  signature = take(out);
  if (signature.empty()) throw SigningError("GnuPG produced an empty signature");
  return 0;
}

std::string OpenPgpSigner::sign(std::string_view data) const {
  std::string signature;
  check(sign_raw(data, signature), "signing failed");
  return signature;
}

std::string OpenPgpSigner::key_id_of(std::string_view public_key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  Context ctx = new_context(home_, nullptr);
  Data data = data_from(public_key);
  check(gpgme_op_keylist_from_data_start(ctx.get(), data.get(), 0), "cannot read the public key");
  gpgme_key_t raw = nullptr;
  gpgme_error_t err = gpgme_op_keylist_next(ctx.get(), &raw);
  Key key(raw);
  gpgme_op_keylist_end(ctx.get());
  if (err != 0 || key == nullptr || key->subkeys == nullptr || key->subkeys->keyid == nullptr)
    throw SigningError("the public key holds no OpenPGP key");
  return key->subkeys->keyid;
}

SignatureCheck check_detached_signature(std::string_view data, std::string_view signature,
                                        const std::vector<std::string>& armored_keys) {
  init_gpgme();
  const std::string home = make_home();
  struct RemoveHome {
    const std::string& home;
    ~RemoveHome() { remove_home(home); }
  } remove{home};
  Context ctx = new_context(home, nullptr);
  // The primary fingerprints of each given key, to say which one signed.
  std::vector<std::vector<std::string>> fingerprints(armored_keys.size());
  std::size_t usable = 0;
  for (std::size_t i = 0; i < armored_keys.size(); ++i) {
    Data key_data = data_from(armored_keys[i]);
    if (gpgme_op_import(ctx.get(), key_data.get()) != 0) continue;
    gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
    for (gpgme_import_status_t st = imported ? imported->imports : nullptr; st != nullptr; st = st->next)
      if (st->result == 0 && st->fpr != nullptr) fingerprints[i].push_back(st->fpr);
    if (!fingerprints[i].empty()) ++usable;
  }
  SignatureCheck out;
  if (usable == 0) {
    out.problem = "none of the given signing keys is an OpenPGP public key";
    return out;
  }
  Data signature_data = data_from(signature);
  Data signed_data = data_from(data);
  if (gpgme_error_t err = gpgme_op_verify(ctx.get(), signature_data.get(), signed_data.get(), nullptr); err != 0) {
    out.problem = std::string("the signature cannot be read: ") + gpgme_strerror(err);
    return out;
  }
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx.get());
  if (result == nullptr || result->signatures == nullptr) {
    out.problem = "the signature file holds no signature";
    return out;
  }
  for (gpgme_signature_t sig = result->signatures; sig != nullptr; sig = sig->next) {
    const std::string made_by = sig->fpr != nullptr ? sig->fpr : "?";
    if (gpgme_err_code(sig->status) == GPG_ERR_NO_PUBKEY) {
      if (out.problem.empty()) out.problem = "made with key " + made_by + ", which is not one of the given keys";
      continue;
    }
    if (sig->status != 0 || (sig->summary & GPGME_SIGSUM_RED) != 0) {
      if (out.problem.empty())
        out.problem = gpgme_err_code(sig->status) == GPG_ERR_BAD_SIGNATURE
                          ? "the signature does not match the data (bad signature)"
                          : std::string("the signature is not good: ") + gpgme_strerror(sig->status);
      continue;
    }
    // Good: find which given key holds the signing (sub)key.
    gpgme_key_t raw = nullptr;
    if (gpgme_get_key(ctx.get(), made_by.c_str(), &raw, 0) != 0 || raw == nullptr || raw->subkeys == nullptr) continue;
    Key key(raw);
    const std::string primary = key->subkeys->fpr != nullptr ? key->subkeys->fpr : "";
    for (std::size_t i = 0; i < fingerprints.size(); ++i) {
      for (const std::string& fpr : fingerprints[i]) {
        if (fpr != primary) continue;
        out.valid = true;
        out.key_index = i;
        out.key_id = key->subkeys->keyid;
        out.problem.clear();
        return out;
      }
    }
  }
  if (out.problem.empty()) out.problem = "no signature by one of the given keys";
  return out;
}

std::string signing_home_parent() {
  for (const char* name : {"RUNTIME_DIRECTORY", "TMPDIR"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string dir(value);
    return dir.substr(0, dir.find(':'));  // systemd lists several directories separated by ':'
  }
  return "/tmp";
}

void remove_own_signing_homes() {
  std::set<std::string> homes;
  {
    std::lock_guard lock(homes_mutex());
    homes = live_homes();
  }
  for (const std::string& home : homes) remove_home(home);
}

void remove_signing_homes_of(pid_t pid) {
  remove_homes_where([pid](pid_t owner) { return owner == pid; });
}

void sweep_stale_signing_homes() {
  remove_homes_where([](pid_t owner) { return owner != ::getpid() && ::kill(owner, 0) != 0 && errno == ESRCH; });
}

}  // namespace otr
