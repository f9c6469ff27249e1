"""Real servers for the pull-through tests and benchmark (issue 11; the contract the code and the tests
share: /work/notes/pull-through-spec.md). Standard library only, so bench/ uses it too.

- Upstream: this program's provider_registry with a signing key of its own, in front of a docker-registry
  of its own, behind nginx with TLS; filled with `push provider`. What registry.terraform.io is to a
  pull-through.
- PullThrough: this program with a provider_registry and a provider_mirror that both name the upstream in an
  `upstream { }` block, in front of an empty docker-registry whose access log is on (registry calls are
  counted from it), behind nginx with TLS.
- FakeUpstream: a small HTTPS provider registry in this process, for the faults the real upstream cannot
  produce: a zip that does not match its SHA256SUMS line (the real one checks every byte it serves), a
  hostile zip (repeated_entry_zip), a package held mid-way at a gate the test opens (FakeUpstream.hold).
"""

import hashlib
import http.server
import io
import json
import os
import re
import shutil
import ssl
import struct
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import ocipush
import servers
from faults import RecordingRegistry
from gpgkeys import GpgKey

PREFIX = "terraform-providers/registry.terraform.io"
TIMEOUTS = '  connect_timeout = "2s"\n  request_timeout = "5s"\n'
INDEX, MANIFEST = ocipush.INDEX, ocipush.MANIFEST
PROVIDER, TARGET, SHASUMS = ocipush.PROVIDER, ocipush.TARGET, ocipush.SHASUMS
H1_ANNOTATION = ocipush.H1_ANNOTATION
CREATED_ANNOTATION = "org.opencontainers.image.created"


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def package_name(type_, version, platform):
    return "terraform-provider-%s_%s_%s.zip" % (type_, version, platform)


def write_random_package(path, entry, size):
    """A provider zip whose one executable entry is `size` random bytes: incompressible, so stored as is."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo(entry, (2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        info.file_size = size
        with z.open(info, "w") as out:
            left = size
            while left:
                n = min(left, 1 << 20)
                out.write(os.urandom(n))
                left -= n
    return path


def repeated_entry_zip(entry, size, copies=1):
    """A zip of one deflated executable entry of `size` zero bytes whose central directory lists that entry
    `copies` times (at most 65535), every listing pointing at the same data: 64 MiB listed 4,000 times is a
    381 KB zip that a reader taking each listing at its word inflates to 250 GiB. copies=1: a plain zip
    whose contents are `size` bytes."""
    assert 1 <= copies <= 0xFFFF
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(entry, (2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = size
        with z.open(info, "w") as out:
            zeros = bytes(1 << 20)
            left = size
            while left:
                n = min(left, len(zeros))
                out.write(zeros[:n])
                left -= n
    data = buf.getvalue()
    # The end of central directory record (no comment): signature, disk numbers, entry counts, the
    # directory's size and offset, comment length.
    end = struct.Struct("<IHHHHIIH")
    signature, _, _, _, entries, directory_size, directory_offset, _ = end.unpack(data[-end.size:])
    assert signature == 0x06054B50 and entries == 1 and directory_offset + directory_size == len(data) - end.size
    directory = data[directory_offset:directory_offset + directory_size] * copies
    return (data[:directory_offset] + directory +
            end.pack(signature, 0, 0, copies, copies, len(directory), directory_offset, 0))


def push_provider(config, address, version, paths, service="registry"):
    """`push provider --service SERVICE ADDRESS VERSION ZIP...` with this program; it must succeed."""
    proc = subprocess.run([servers.BINARY, "--config", config, "push", "provider", "--quiet", "--service", service,
                           address, version, *paths], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError("push provider %s %s failed (exit %d):\n%s\n%s"
                             % (address, version, proc.returncode, proc.stdout, proc.stderr))
    return proc


def key_fingerprints(armored):
    """The fingerprints of the OpenPGP public keys in `armored` (gpg --show-keys, a throwaway home)."""
    home = tempfile.mkdtemp(prefix="otr-show-keys-")
    try:
        out = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys"], input=armored,
                             capture_output=True, check=True).stdout.decode()
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
    return [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")]


class _Cleanup:
    """Stops what was started, last first, also when a constructor fails half-way."""

    def __init__(self):
        self._stoppers = []

    def add(self, thing, stop=None):
        self._stoppers.append(stop or thing.stop)
        return thing

    def stop(self):
        while self._stoppers:
            try:
                self._stoppers.pop()()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                pass


# ---------------------------------------------------------------- the OCI registry, with its access log

class LoggingDockerRegistry(RecordingRegistry):
    """faults.RecordingRegistry (distribution's access log on: calls(), mark(), calls_since()), and what is
    stored, read back through the OCI API."""

    # -- what is stored, through the OCI API

    def _get(self, path, method="GET", accept=None):
        req = urllib.request.Request(self.url + path, method=method, headers={"Accept": accept} if accept else {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def tags(self, repo):
        """The repository's tags; [] for a repository that does not exist."""
        status, _, body = self._get("/v2/%s/tags/list" % repo)
        if status == 404:
            return []
        assert status == 200, "tags/list of %s: %d %r" % (repo, status, body)
        return json.loads(body).get("tags") or []

    def manifest(self, repo, reference):
        """(digest the registry names, parsed manifest or index); None when there is none."""
        status, headers, body = self._get("/v2/%s/manifests/%s" % (repo, reference), accept=INDEX + ", " + MANIFEST)
        if status == 404:
            return None
        assert status == 200, "manifest %s:%s: %d %r" % (repo, reference, status, body)
        assert headers["Docker-Content-Digest"] == "sha256:" + sha256_hex(body)
        return headers["Docker-Content-Digest"], json.loads(body)

    def blob(self, repo, digest):
        status, _, body = self._get("/v2/%s/blobs/%s" % (repo, digest))
        assert status == 200, "blob %s@%s: %d" % (repo, digest, status)
        return body

    def delete_manifest(self, repo, digest):
        status, _, body = self._get("/v2/%s/manifests/%s" % (repo, digest), method="DELETE")
        assert status == 202, "DELETE %s@%s: %d %r" % (repo, digest, status, body)

    # -- what is stored, from the registry's storage (no API lists untagged manifests or a tag's history)

    def _repository_dir(self, repo):
        return os.path.join(self.storage, "docker", "registry", "v2", "repositories", repo)

    def manifest_revisions(self, repo):
        """Digests of every manifest and index ever put into the repository (tagged or not)."""
        d = os.path.join(self._repository_dir(repo), "_manifests", "revisions", "sha256")
        return sorted("sha256:" + h for h in os.listdir(d)) if os.path.isdir(d) else []

    def tag_history(self, repo, tag):
        """Every digest the tag has pointed at (distribution keeps one link per digest under the tag)."""
        d = os.path.join(self._repository_dir(repo), "_manifests", "tags", tag, "index", "sha256")
        return sorted("sha256:" + h for h in os.listdir(d)) if os.path.isdir(d) else []


def call_kind(method, path):
    """A registry call, named by what it does."""
    p = urllib.parse.urlsplit(path).path
    if p == "/v2/":
        return "%s /v2/ (API check)" % method
    m = re.match(r"^/v2/.+/(manifests|blobs|tags)/(.*)$", p)
    if not m:
        return "%s other" % method
    what, ref = m.groups()
    if what == "tags":
        return "%s tags/list" % method
    if what == "manifests":
        return "%s manifest by %s" % (method, "digest" if ref.startswith("sha256:") else "tag")
    if ref.startswith("uploads"):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        return "%s blob upload%s" % (method, " (mount)" if "mount" in query else "")
    return "%s blob" % method


def call_counts(calls):
    counts = {}
    for method, path, _ in calls:
        kind = call_kind(method, path)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def format_calls(title, calls):
    counts = call_counts(calls)
    width = max([len(k) for k in counts] + [5])
    lines = [title] + ["  %-*s %4d" % (width, k, n) for k, n in sorted(counts.items())]
    lines.append("  %-*s %4d" % (width, "total", len(calls)))
    return "\n".join(lines)


# ---------------------------------------------------------------- the upstream: this program as a registry

class Upstream:
    """provider_registry "registry" (own signing key, proxy_packages) -> docker-registry, behind nginx (TLS).

    One worker process: the program signs a release's SHA256SUMS once per process and keeps the signature;
    two processes could hand out different (timestamped) signatures of the same file, and then two imports of
    one release could not give the same bytes, for a reason that is the fixture's, not the pull-through's."""

    def __init__(self, directory, tls, name="upstream"):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.ca = tls[0]
        self._cleanup = _Cleanup()
        self.packages = {}  # (address, version) -> {platform: zip path}
        try:
            os.makedirs(os.path.join(directory, "registry"))
            self.registry = self._cleanup.add(servers.DockerRegistry(os.path.join(directory, "registry")).start())
            self.key = self._cleanup.add(GpgKey(directory, name))
            services = ('provider_registry "registry" {\n  origin_url       = "%s"\n'
                        '  name_prefix      = "terraform-providers"\n  signing_key_file = "%s"\n'
                        '  proxy_packages   = true\n}\n' % (self.registry.url, self.key.secret_file))
            self.stack = self._cleanup.add(servers.NginxStack(os.path.join(directory, "app"), services, tls,
                                                              workers=1, extra=TIMEOUTS))
        except BaseException:
            self._cleanup.stop()
            raise
        self.config, self.app = self.stack.config, self.stack.app
        self.port, self.url = self.stack.port, self.stack.url
        self.host = "localhost:%d" % self.port   # for provider source addresses of clients that ask it directly
        self.client = servers.Client(self.url, self.ca)

    def publish(self, address, version, paths):
        """`push provider` of zips named terraform-provider-TYPE_VERSION_OS_ARCH.zip."""
        push_provider(self.config, address, version, paths)
        type_ = address.rsplit("/", 1)[-1]
        prefix = "terraform-provider-%s_%s_" % (type_, version)
        self.packages[(address, version)] = {os.path.basename(p)[len(prefix):-len(".zip")]: p for p in paths}

    def attach_foreign_signature(self, address, version, forger):
        """Publisher checksums for a published release, signed by `forger` (a GpgKey) but naming this
        upstream's key: what no client, and no import, may accept."""
        type_ = address.split("/")[1]
        packages = self.package_bytes(address, version)
        shasums = "".join("%s  %s\n" % (sha256_hex(packages[p]), package_name(type_, version, p))
                          for p in sorted(packages)).encode()
        ocipush.attach_signed_checksums(ocipush.Registry(self.registry.url), "%s/%s" % (PREFIX, address), version,
                                        shasums, forger.sign(shasums), self.key.public_armored)

    def package_bytes(self, address, version):
        """{platform: zip bytes} of a published release."""
        out = {}
        for platform, path in self.packages[(address, version)].items():
            with open(path, "rb") as f:
                out[platform] = f.read()
        return out

    def download_path(self, address, version, platform):
        return "/registry/%s/%s/download/%s" % (address, version, platform.replace("_", "/", 1))

    def download_doc(self, address, version, platform):
        r = self.client.get(self.download_path(address, version, platform))
        assert r.status == 200, "the upstream's download document: %d %r" % (r.status, r.body)
        return r.json()

    def shasums(self, address, version):
        """The SHA256SUMS bytes the upstream serves for the release."""
        platform = sorted(self.packages[(address, version)])[0]
        base = self.download_path(address, version, platform)
        doc = self.download_doc(address, version, platform)
        r = self.client.get(urllib.parse.urljoin(base, doc["shasums_url"]))
        assert r.status == 200
        return r.body

    def stop(self):
        self._cleanup.stop()


# ---------------------------------------------------------------- the pull-through

def pull_through_services(registry_url, signing_key_file, upstream_url, ca_file, upstream_extra=""):
    upstream = ('  upstream {\n    url       = "%s"\n    hostnames = ["registry.terraform.io"]\n'
                '    ca_file   = "%s"\n%s  }\n' % (upstream_url, ca_file, upstream_extra))
    return ('provider_registry "registry" {\n  origin_url       = "%s"\n  name_prefix      = "terraform-providers"\n'
            '  signing_key_file = "%s"\n  proxy_packages   = true\n%s}\n'
            'provider_mirror "mirror" {\n  origin_url     = "%s"\n  name_prefix    = "terraform-providers"\n'
            '  proxy_packages = true\n%s}\n'
            % (registry_url, signing_key_file, upstream, registry_url, upstream))


class PullThrough:
    """provider_registry "registry" and provider_mirror "mirror", each with an upstream { } block, in front of
    an empty LoggingDockerRegistry, behind nginx with TLS (`workers` worker processes x 4 threads; default 2).
    server_extra: more attributes of the server block (metrics = true, ...)."""

    def __init__(self, directory, tls, upstream_url, name="pull-through", upstream_extra="", workers=2,
                 server_extra=""):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.tls = tls
        self.workers, self.server_extra = workers, server_extra
        self._cleanup = _Cleanup()
        self._instances = 0
        try:
            os.makedirs(os.path.join(directory, "registry"))
            self.registry = self._cleanup.add(LoggingDockerRegistry(os.path.join(directory, "registry")).start())
            self.key = self._cleanup.add(GpgKey(directory, name))
            self.services = pull_through_services(self.registry.url, self.key.secret_file, upstream_url, tls[0],
                                                  upstream_extra)
            self.stack = self.another_instance()
        except BaseException:
            self._cleanup.stop()
            raise
        self.app = self.stack.app
        self.port, self.url, self.client = self.stack.port, self.stack.url, self.stack.client
        self.host = "localhost:%d" % self.port

    def another_instance(self):
        """One more app instance (pool + nginx) with the same services in front of the same registry, as a
        second node of a fleet sharing one registry would be. Stopped with this object."""
        self._instances += 1
        stack = servers.NginxStack(os.path.join(self.directory, "app%d" % self._instances), self.services, self.tls,
                                   workers=self.workers, extra=TIMEOUTS + self.server_extra)
        stack.host = "localhost:%d" % stack.port
        return self._cleanup.add(stack)

    def stop(self):
        self._cleanup.stop()


# ---------------------------------------------------------------- a fake upstream, for faults

class FakeRelease:
    def __init__(self, type_, version, packages, signer, listed_key, served, files_at=None, redirect_to=None,
                 query=""):
        self.type = type_
        self.version = version
        self.packages = packages            # {platform: zip bytes}: what SHA256SUMS and shasum describe
        self.served = served or packages    # what the zip URLs answer
        self.files_at = files_at            # another server's URL the download documents send the files to
        self.redirect_to = redirect_to      # another server's URL the package's redirect goes to
        self.query = query                  # appended to the documents' file URLs (a signed URL's query)
        self.shasums = "".join("%s  %s\n" % (sha256_hex(packages[p]), package_name(type_, version, p))
                               for p in sorted(packages)).encode()
        self.signature = signer.sign(self.shasums)
        self.listed_key = listed_key


class Gate:
    """Holds every answer to one path of a FakeUpstream after its headers and first `head` bytes (a package
    trickling in) until the test opens it. Thread-safe."""

    def __init__(self, head=16, limit=120):
        self.head = head
        self._limit = limit   # no answer is held longer, whatever the test does
        self._opened = threading.Event()
        self._changed = threading.Condition()
        self.held = 0         # answers that reached the gate

    def wait_held(self, count=1, timeout=30):
        """Until `count` answers have reached the gate; TimeoutError after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.held >= count, timeout):
                raise TimeoutError("%d answers reached the gate in %s s, not %d" % (self.held, timeout, count))

    def open(self):
        self._opened.set()

    def _hold(self):
        with self._changed:
            self.held += 1
            self._changed.notify_all()
        self._opened.wait(self._limit)


class FakeUpstream:
    """A provider registry over HTTPS on 127.0.0.1 (the test certificate), served by a thread of this process:
    discovery, versions, download documents, SHA256SUMS, its binary signature, and the zips (behind one
    redirect). Each release is given whole, so a test can make any part of it wrong. With tls=None it speaks
    plain http, on `host` (another loopback address such as 127.0.0.2 is another machine to the program)."""

    def __init__(self, tls, host="127.0.0.1"):
        self.releases = {}   # (namespace, type) -> {version: FakeRelease}
        self.requests = []   # (method, path, Authorization header or None)
        self.gates = {}      # path -> Gate
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                fake._serve(self, body=True)

            def do_HEAD(self):
                fake._serve(self, body=False)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls[1], tls[2])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = "%s://%s:%d" % ("http" if tls is None else "https", host, self.port)
        self.host = "localhost:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-upstream", daemon=True)
        self.thread.start()

    def add(self, address, version, packages, signer, listed_key, served=None, files_at=None, redirect_to=None,
            query=""):
        """packages: {platform: zip bytes}; signer signs SHA256SUMS; listed_key is the key the download
        documents name; served: other zip bytes to answer with (a tampered package); files_at: the URL of
        another FakeUpstream that serves the files (see serve_files_of), named absolutely in the documents;
        redirect_to: that URL for the package's redirect only; query: appended to the documents' file URLs."""
        namespace, type_ = address.split("/")
        release = FakeRelease(type_, version, packages, signer, listed_key, served, files_at, redirect_to, query)
        self.releases.setdefault((namespace, type_), {})[version] = release
        return release

    def serve_files_of(self, address, release):
        """Serves the files of another FakeUpstream's release (its files_at or redirect_to names this one)."""
        self.releases.setdefault(tuple(address.split("/")), {})[release.version] = release

    def hold(self, path, head=16):
        """A Gate for the answers to `path` (e.g. a package's /files/... path): each sends its headers and
        `head` bytes, then waits until the gate is opened."""
        gate = self.gates[path] = Gate(head)
        return gate

    def requested(self, suffix, since=0):
        """The requests, from the `since`-th on, whose path ends with `suffix`."""
        return [r for r in self.requests[since:] if r[1].endswith(suffix)]

    def _serve(self, handler, body):
        self.requests.append((handler.command, handler.path, handler.headers.get("Authorization")))
        path = urllib.parse.urlsplit(handler.path).path
        status, content_type, data, location = self._answer(path)
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        if location:
            handler.send_header("Location", location)
        handler.end_headers()
        gate = self.gates.get(path)
        if body and gate:
            handler.wfile.write(data[:gate.head])
            handler.wfile.flush()
            gate._hold()
            data = data[gate.head:]
        if body:
            handler.wfile.write(data)

    def _answer(self, path):
        def document(doc):
            return 200, "application/json", json.dumps(doc).encode(), None

        not_found = (404, "application/json", b'{"errors":["Not Found"]}', None)
        if path == "/.well-known/terraform.json":
            return document({"providers.v1": "/v1/providers/"})
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "providers"] and len(parts) == 5 and parts[4] == "versions":
            releases = self.releases.get((parts[2], parts[3]))
            if not releases:
                return not_found
            return document({"versions": [
                {"version": v, "protocols": ["5.0"],
                 "platforms": [{"os": p.split("_")[0], "arch": p.split("_")[1]} for p in sorted(r.packages)]}
                for v, r in sorted(releases.items())]})
        if parts[:2] == ["v1", "providers"] and len(parts) == 8 and parts[5] == "download":
            release = self.releases.get((parts[2], parts[3]), {}).get(parts[4])
            platform = parts[6] + "_" + parts[7]
            if release is None or platform not in release.packages:
                return not_found
            files = "/files/%s/%s/%s/" % (parts[2], parts[3], parts[4])
            name = package_name(release.type, release.version, platform)
            sums = "terraform-provider-%s_%s_SHA256SUMS" % (release.type, release.version)
            key = release.listed_key
            at = release.files_at or ""
            return document({
                "protocols": ["5.0"], "os": parts[6], "arch": parts[7], "filename": name,
                # URLs as registries give them: relative (the package behind a redirect) or absolute.
                "download_url": at + "/redirect" + files + name + release.query,
                "shasum": sha256_hex(release.packages[platform]),
                "shasums_url": (at or self.url) + files + sums + release.query,
                "shasums_signature_url": at + files + sums + ".sig" + release.query,
                "signing_keys": {"gpg_public_keys": [{
                    "key_id": key.key_id, "ascii_armor": key.public_armored.decode(), "trust_signature": "",
                    "source": "", "source_url": None}]}})
        if parts[0] == "redirect":
            release = self.releases.get((parts[2], parts[3]), {}).get(parts[4]) if len(parts) == 6 else None
            target = release.redirect_to if release is not None and release.redirect_to else ""
            return 302, "text/plain", b"", target + "/" + "/".join(parts[1:])
        if parts[0] == "files" and len(parts) == 5:
            release = self.releases.get((parts[1], parts[2]), {}).get(parts[3])
            if release is None:
                return not_found
            sums = "terraform-provider-%s_%s_SHA256SUMS" % (release.type, release.version)
            if parts[4] == sums:
                return 200, "text/plain", release.shasums, None
            if parts[4] == sums + ".sig":
                return 200, "application/octet-stream", release.signature, None
            for platform, data in release.served.items():
                if parts[4] == package_name(release.type, release.version, platform):
                    return 200, "application/zip", data, None
        return not_found

    def stop(self):
        for gate in self.gates.values():
            gate.open()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
