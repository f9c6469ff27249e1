"""Throwaway OpenPGP keys for the tests that sign or verify (provider registry, publisher checksums)."""

import os
import subprocess


class GpgKey:
    """A throwaway OpenPGP signing key made with the gpg program, in a home of its own."""

    def __init__(self, directory, name, passphrase=""):
        self.passphrase = passphrase
        self.home = os.path.join(directory, "gnupg-" + name)
        os.makedirs(self.home, mode=0o700)
        self.gpg("--quick-gen-key", "%s <%s@example.com>" % (name, name), "rsa2048", "sign", "never")
        listing = self.gpg("--list-secret-keys", "--with-colons").stdout.decode()
        self.fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        self.key_id = self.fingerprint[-16:]
        self.secret_file = os.path.join(directory, name + "-secret.gpg")
        with open(self.secret_file, "wb") as f:
            f.write(self.gpg("--export-secret-keys", self.fingerprint).stdout)
        os.chmod(self.secret_file, 0o644)  # read by the web servers' unprivileged users in these tests
        self.public_armored = self.gpg("--armor", "--export", self.fingerprint).stdout

    def gpg(self, *args, data=None):
        return subprocess.run(["gpg", "--homedir", self.home, "--batch", "--pinentry-mode", "loopback",
                               "--passphrase", self.passphrase, *args], input=data, check=True, capture_output=True)

    def sign(self, data):
        """A binary detached signature, as Terraform wants SHA256SUMS.sig."""
        return self.gpg("--detach-sign", "--local-user", self.fingerprint, "--output", "-", data=data).stdout

    def verify(self, data, signature):
        """True when `signature` is a good signature of `data` by this key."""
        sig_path = os.path.join(self.home, "check.sig")
        with open(sig_path, "wb") as f:
            f.write(signature)
        proc = subprocess.run(["gpg", "--homedir", self.home, "--batch", "--status-fd", "1", "--verify", sig_path, "-"],
                              input=data, capture_output=True)
        return proc.returncode == 0 and ("VALIDSIG " + self.fingerprint).encode() in proc.stdout

    def stop(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "gpg-agent"], capture_output=True)
