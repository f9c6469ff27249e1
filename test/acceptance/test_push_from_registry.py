"""`push provider --from-registry` and `--from-lock` (issue 11): the pull-through's import from the command line.

Real components only: the upstream is this program's provider_registry with a signing key of its own, in
front of its own docker-registry, behind nginx with TLS (pullthrough.Upstream), filled with `push provider`;
each import goes into an empty Debian docker-registry whose access log is on (pullthrough.LoggingDockerRegistry, on faults.RecordingRegistry:
registry calls are counted from it), through a configuration with a provider_mirror service (`--service`).
Real OpenTofu makes the lock files against the upstream and installs what was imported. The faults the
real upstream cannot produce (a signature by a key it does not list, a zip that does not match SHA256SUMS)
come from pullthrough.FakeUpstream.

Each test imports into a registry of its own, so none depends on another having run.
"""

import base64
import hashlib
import os
import re
import select
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import ocipush
import servers
from conftest import (PLATFORMS, WIDGET_CONFIG, executable_zip, fault_upstream, GpgKey, host_platform, lock_entries,
                      mirror_cli_config, plain, project, Tofu, widget_packages)
from pullthrough import (CREATED_ANNOTATION, H1_ANNOTATION, INDEX, PREFIX, PROVIDER, SHASUMS, TARGET, TIMEOUTS,
                         FakeUpstream, LoggingDockerRegistry, Upstream, key_fingerprints, package_name, sha256_hex)

WIDGET = "acme/widget"
ADDRESS = "registry.terraform.io/" + WIDGET
REPO = PREFIX + "/" + WIDGET
# Upstream releases of acme/widget: "~> 1.0" allows 1.0.0, 1.1.0 and 1.2.0; the newest it allows is 1.2.0 (not the
# pre-release 1.3.0-beta.1, which only an exact constraint names, and not 2.0.0).
WIDGET_VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0-beta.1", "2.0.0")
ALL_PLATFORMS = sorted(set(PLATFORMS) | {host_platform()})

WRITES = ("PUT", "POST", "PATCH", "DELETE")
# What the terminal reporter (src/publish/push_report.cpp) draws: "\r<label> [<30 cells>] <done> / <size>\x1b[K",
# and "\r\x1b[K" to clear the bar when the transfer ends.
BAR_WIDTH = 30
CLEAR_LINE = "\r\x1b[K"


# ---------------------------------------------------------------- helpers

def human_size(n):
    """push_report.cpp's human_size()."""
    if n < 1024:
        return "%d B" % n
    value, unit = float(n), -1
    while value >= 1024 and unit < 3:
        value /= 1024
        unit += 1
    return "%.1f %s" % (value, ("KiB", "MiB", "GiB", "TiB")[unit])


def stand_in_packages(directory, type_, version, platforms=ALL_PLATFORMS):
    """terraform-provider-TYPE_VERSION_OS_ARCH.zip files holding a small executable that is no provider."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for p in platforms:
        entry = "terraform-provider-%s_v%s%s" % (type_, version, ".exe" if p.startswith("windows") else "")
        path = os.path.join(directory, package_name(type_, version, p))
        with open(path, "wb") as f:
            f.write(executable_zip(entry, ("#!/bin/sh\n# stand-in %s %s %s\n" % (type_, version, p)).encode()))
        paths.append(path)
    return paths


def fixture_dir(tmp_path_factory, name):
    """A new directory the web servers' unprivileged users can reach."""
    return str(servers.reachable_by_web_servers(tmp_path_factory.mktemp(name)))


def writes(calls):
    return [c for c in calls if c[0] in WRITES]


def blob_exists(registry, repo, digest):
    req = urllib.request.Request("%s/v2/%s/blobs/%s" % (registry.url, repo, digest), method="HEAD")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status == 200
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return False
        raise


class Target:
    """An empty docker-registry (access log on) and a configuration whose provider_mirror "mirror" names it."""

    def __init__(self, directory):
        self.directory = directory
        self.registry = LoggingDockerRegistry(os.path.join(directory, "registry")).start()
        self.config = os.path.join(directory, "config.hcl")
        with open(self.config, "w") as f:
            f.write('provider_mirror "mirror" {\n  origin_url  = "%s"\n  name_prefix = "terraform-providers"\n}\n'
                    % self.registry.url)
        # No docker configuration of the user's: the registry takes anonymous pushes.
        self.env = dict(os.environ, DOCKER_CONFIG=os.path.join(directory, "docker-config"))
        os.makedirs(self.env["DOCKER_CONFIG"])

    def argv(self, *args):
        return [servers.BINARY, "--config", self.config, "push", "provider", "--service", "mirror", *args]

    def push(self, *args):
        """Runs `push provider --service mirror ARGS...` with pipes (no terminal); returns the process."""
        return subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=600, env=self.env,
                              stdin=subprocess.DEVNULL)

    def stop(self):
        self.registry.stop()


def from_registry_args(upstream_url, ca, address, version, *more):
    return ("--from-registry", address, "--version", version, "--upstream-url", upstream_url,
            "--upstream-ca-file", ca, *more)


def output(proc):
    return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (proc.returncode, proc.stdout, proc.stderr)


def assert_imported(registry, repo, version, packages, shasums, key, platforms=None):
    """The release is stored in OpenTofu's layout: an index (no wall-clock time) with one manifest per platform
    (sorted) and the publisher's checksums descriptor; every zip the upstream's, byte for byte, with its h1:
    computed here from the zip; SHA256SUMS the upstream's, byte for byte, with its signature and key.
    Returns the index."""
    platforms = sorted(platforms or packages)
    tag = ocipush.tag_of(version)
    stored = registry.manifest(repo, tag)
    assert stored, "no tag %s in %s (tags: %s)" % (tag, repo, registry.tags(repo))
    _, index = stored
    assert index["mediaType"] == INDEX
    assert index.get("artifactType") == PROVIDER
    assert CREATED_ANNOTATION not in (index.get("annotations") or {})
    platform_descriptors = [d for d in index["manifests"] if "platform" in d]
    names = ["%s_%s" % (d["platform"]["os"], d["platform"]["architecture"]) for d in platform_descriptors]
    assert names == platforms, "platform descriptors, in order: %s" % names
    checksum_descriptors = [d for d in index["manifests"] if d.get("artifactType") == SHASUMS]
    assert len(checksum_descriptors) == 1, index["manifests"]
    assert len(index["manifests"]) == len(platforms) + 1, index["manifests"]
    for descriptor, name in zip(platform_descriptors, names):
        assert descriptor.get("artifactType") == TARGET
        _, manifest = registry.manifest(repo, descriptor["digest"])
        assert manifest.get("artifactType") == TARGET
        annotations = manifest.get("annotations") or {}
        assert CREATED_ANNOTATION not in annotations
        [layer] = manifest["layers"]
        assert layer["mediaType"] == "archive/zip"
        assert layer["digest"] == "sha256:" + sha256_hex(packages[name])   # the upstream's zip, byte for byte
        assert layer["size"] == len(packages[name])
        assert annotations.get(H1_ANNOTATION) == ocipush.h1_hash(packages[name]), (name, annotations)
    _, checksums = registry.manifest(repo, checksum_descriptors[0]["digest"])
    assert checksums.get("artifactType") == SHASUMS
    layers = {layer["mediaType"]: layer["digest"] for layer in checksums["layers"]}
    assert sorted(layers) == ["application/pgp-keys", "application/pgp-signature", "text/plain"]
    sums = registry.blob(repo, layers["text/plain"])
    assert sums == shasums, "SHA256SUMS differs from the upstream's:\n%r\n%r" % (sums, shasums)
    assert key.verify(sums, registry.blob(repo, layers["application/pgp-signature"]))
    assert key.fingerprint in key_fingerprints(registry.blob(repo, layers["application/pgp-keys"]))
    return index


def assert_tag_written_last(calls, repo, version):
    """Every write of the import succeeded, and the tag was the last one, written once."""
    tag_write = ("PUT", "/v2/%s/manifests/%s" % (repo, ocipush.tag_of(version)))
    ours = [(m, p.split("?")[0], s) for m, p, s in writes(calls) if p.startswith("/v2/%s/" % repo)]
    assert ours, "the import wrote nothing into %s" % repo
    assert all(200 <= s < 300 for _, _, s in ours), ours
    assert [w[:2] for w in ours].count(tag_write) == 1, ours
    assert ours[-1][:2] == tag_write, ours


def assert_nothing_written(target, repo, calls):
    assert target.registry.tags(repo) == []
    assert target.registry.manifest_revisions(repo) == []
    assert writes(calls) == [], "the registry was written to: %s" % writes(calls)


def run_on_terminal(argv, env, timeout=600):
    """Runs argv with its stderr on a pseudo-terminal (stdout a pipe). Returns (status, stdout, terminal text)."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
    finally:
        os.close(slave)
    stdout = []
    reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()), daemon=True)
    reader.start()
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:   # EIO: nothing holds the terminal open any more
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break   # exited, and everything it wrote has been read
        else:
            proc.kill()
            raise AssertionError("%s did not finish in %d s" % (argv, timeout))
        proc.wait(timeout)
        reader.join(timeout)
    finally:
        os.close(master)
    return proc.returncode, stdout[0].decode(errors="replace"), b"".join(chunks).decode(errors="replace")


class UnsizedFakeUpstream(FakeUpstream):
    """pullthrough.FakeUpstream whose zips are answered without Content-Length, in 64 KiB writes, the end of the
    body marked by closing the connection (HTTP/1.0), as a CDN answering chunked gives no size either."""

    def _serve(self, handler, body):
        self.requests.append((handler.command, handler.path, handler.headers.get("Authorization")))
        path = urllib.parse.urlsplit(handler.path).path
        status, content_type, data, location = self._answer(path)
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if not path.endswith(".zip"):
            handler.send_header("Content-Length", str(len(data)))
        if location:
            handler.send_header("Location", location)
        handler.end_headers()
        if body:
            for i in range(0, len(data), 1 << 16):
                handler.wfile.write(data[i:i + (1 << 16)])
                handler.wfile.flush()


def provider_config(source, version):
    type_ = source.rsplit("/", 1)[1]
    return ('terraform {\n  required_providers {\n    %s = {\n      source  = "%s"\n      version = "%s"\n'
            '    }\n  }\n}\n' % (type_, source, version))


def altered_hash(value):
    """Another hash of the same kind and shape: the lock file then names packages the registry does not serve."""
    kind, _, text = value.partition(":")
    other = hashlib.sha256(b"not " + text.encode()).digest()
    return kind + ":" + (other.hex() if kind == "zh" else base64.b64encode(other).decode())


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def upstream(tmp_path_factory, tls, tools):
    """The real upstream: acme/widget in WIDGET_VERSIONS (the real provider for this machine, stand-ins for the
    rest), and acme/forged, whose publisher checksums are signed by a key other than the one they list."""
    d = fixture_dir(tmp_path_factory, "pfr-upstream")
    up = Upstream(d, tls, name="pfr-upstream")
    forger = None
    try:
        for version in WIDGET_VERSIONS:
            up.publish(WIDGET, version, widget_packages(os.path.join(d, "zips"), tools, version))
        up.publish("acme/forged", "1.0.0", stand_in_packages(os.path.join(d, "zips"), "forged", "1.0.0"))
        forger = GpgKey(d, "pfr-forger")
        up.attach_foreign_signature("acme/forged", "1.0.0", forger)
        yield up
    finally:
        if forger:
            forger.stop()
        up.stop()


@pytest.fixture(scope="module")
def fake(tmp_path_factory, tls):
    """The fake upstream of conftest.fault_upstream: acme/genuine, acme/foreign, acme/tampered."""
    yield from fault_upstream(fixture_dir(tmp_path_factory, "pfr-fake"), tls, "pfr-fake", ALL_PLATFORMS)


@pytest.fixture
def target(tmp_path):
    t = Target(str(tmp_path / "target"))
    yield t
    t.stop()


@pytest.fixture(scope="module")
def direct_lock(upstream, tmp_path_factory, tls, tools):
    """A lock file made by a real `tofu init` straight against the upstream (source localhost:PORT/acme/widget,
    1.1.0): (path, provider address, its text)."""
    d = tmp_path_factory.mktemp("pfr-direct-lock")
    tofu = Tofu(tools.tofu, str(d / "home"), tls[0], "")
    address = "%s/%s" % (upstream.host, WIDGET)
    work = project(str(d / "work"), provider_config(address, "1.1.0"))
    init = tofu.run(work, "init")
    assert "Installed %s v1.1.0" % address in plain(init.stdout)
    path = os.path.join(work, ".terraform.lock.hcl")
    with open(path) as f:
        return path, address, f.read()


# ---------------------------------------------------------------- --from-registry

def test_from_registry_imports_the_newest_version_the_constraint_allows_and_a_second_run_writes_nothing(
        upstream, target, tls):
    mark = target.registry.mark()
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "~> 1.0"))
    calls = target.registry.calls_since(mark)
    assert proc.returncode == 0, output(proc)
    assert "imported %s 1.2.0 (%s)" % (ADDRESS, ", ".join(ALL_PLATFORMS)) in proc.stdout, output(proc)
    assert target.registry.tags(REPO) == ["1.2.0"]   # not 2.0.0, not the pre-release, not the older matches
    assert_imported(target.registry, REPO, "1.2.0", upstream.package_bytes(WIDGET, "1.2.0"),
                    upstream.shasums(WIDGET, "1.2.0"), upstream.key)
    assert_tag_written_last(calls, REPO, "1.2.0")
    revisions = target.registry.manifest_revisions(REPO)
    history = target.registry.tag_history(REPO, "1.2.0")

    mark = target.registry.mark()
    again = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "~> 1.0"))
    calls = target.registry.calls_since(mark)
    assert again.returncode == 0, output(again)
    assert "nothing to do" in again.stdout, output(again)
    assert "imported" not in again.stdout, output(again)
    assert writes(calls) == [], "the second run wrote: %s" % writes(calls)
    assert target.registry.manifest_revisions(REPO) == revisions
    assert target.registry.tag_history(REPO, "1.2.0") == history


def test_from_registry_with_a_platform_imports_only_that_platform(upstream, target, tls):
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "1.1.0", "--platform", "linux_amd64"))
    assert proc.returncode == 0, output(proc)
    assert "imported %s 1.1.0 (linux_amd64)" % ADDRESS in proc.stdout, output(proc)
    packages = upstream.package_bytes(WIDGET, "1.1.0")
    # The publisher's SHA256SUMS is kept as it is (it names every platform: the signature covers those bytes).
    assert_imported(target.registry, REPO, "1.1.0", packages, upstream.shasums(WIDGET, "1.1.0"), upstream.key,
                    platforms=["linux_amd64"])
    for platform, data in packages.items():
        assert blob_exists(target.registry, REPO, "sha256:" + sha256_hex(data)) == (platform == "linux_amd64"), \
            platform


def test_from_registry_with_all_versions_imports_every_version_the_constraint_allows(upstream, target, tls):
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "~> 1.0", "--all-versions"))
    assert proc.returncode == 0, output(proc)
    expected = ["1.0.0", "1.1.0", "1.2.0"]
    assert sorted(target.registry.tags(REPO)) == expected
    for version in expected:
        assert "imported %s %s " % (ADDRESS, version) in proc.stdout, output(proc)
        assert_imported(target.registry, REPO, version, upstream.package_bytes(WIDGET, version),
                        upstream.shasums(WIDGET, version), upstream.key)


def test_from_registry_takes_a_pre_release_named_exactly(upstream, target, tls):
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "1.3.0-beta.1", "--platform",
                                           "darwin_arm64"))
    assert proc.returncode == 0, output(proc)
    assert target.registry.tags(REPO) == ["1.3.0-beta.1"]
    assert_imported(target.registry, REPO, "1.3.0-beta.1", upstream.package_bytes(WIDGET, "1.3.0-beta.1"),
                    upstream.shasums(WIDGET, "1.3.0-beta.1"), upstream.key, platforms=["darwin_arm64"])


def test_from_registry_a_platform_the_release_does_not_have_is_refused_naming_it(upstream, target, tls):
    mark = target.registry.mark()
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "1.1.0", "--platform", "plan9_mips"))
    calls = target.registry.calls_since(mark)
    assert proc.returncode == 1, output(proc)
    assert "plan9_mips" in proc.stderr and "acme/widget 1.1.0" in proc.stderr, output(proc)
    assert_nothing_written(target, REPO, calls)


@pytest.mark.parametrize("constraint", ["~> 3.0", ">= 1.0, < 1.0", "1.3.0"])
def test_from_registry_a_constraint_that_selects_nothing_exits_64_naming_it(upstream, target, tls, constraint):
    mark = target.registry.mark()
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, constraint))
    calls = target.registry.calls_since(mark)
    assert proc.returncode == 64, output(proc)
    assert '"%s"' % constraint in proc.stderr, output(proc)
    assert WIDGET in proc.stderr, output(proc)
    assert_nothing_written(target, REPO, calls)


def test_the_imported_release_installs_with_tofu_from_a_mirror_with_the_upstream_stopped(
        tmp_path_factory, tls, tools, tofu_factory, tmp_path):
    """Pre-seeding: import from the upstream, stop the upstream, serve the registry with a provider_mirror (no
    upstream) behind nginx, and a real `tofu init` + `apply` installs and runs the imported release."""
    d = fixture_dir(tmp_path_factory, "pfr-seed")
    up = Upstream(os.path.join(d, "upstream"), tls, name="pfr-seed-upstream")
    target = None
    stack = None
    try:
        for version in ("1.0.0", "1.1.0"):
            up.publish(WIDGET, version, widget_packages(os.path.join(d, "zips"), tools, version))
        packages = up.package_bytes(WIDGET, "1.1.0")
        target = Target(os.path.join(d, "target"))
        proc = target.push(*from_registry_args(up.url, tls[0], ADDRESS, "~> 1.0"))
        assert proc.returncode == 0, output(proc)
        assert target.registry.tags(REPO) == ["1.1.0"]
        up_port = up.port
        up.stop()
        assert not servers.port_open(up_port)

        services = ('provider_mirror "mirror" {\n  origin_url     = "%s"\n  name_prefix    = "terraform-providers"\n'
                    '  proxy_packages = true\n'
                    '  host_aliases   = { "registry.opentofu.org" = "registry.terraform.io" }\n'
                    '}\n' % target.registry.url)
        stack = servers.NginxStack(os.path.join(d, "serve"), services, tls, workers=1, extra=TIMEOUTS)
        mark = target.registry.mark()
        tofu = tofu_factory(mirror_cli_config(stack.url + "/mirror/"))
        work = project(str(tmp_path / "work"), WIDGET_CONFIG)   # source "acme/widget", version "~> 1.0"
        init = tofu.run(work, "init")
        assert "Installed acme/widget v1.1.0" in plain(init.stdout), init.stdout
        version, hashes = lock_entries(work)["registry.opentofu.org/" + WIDGET]
        assert version == "1.1.0"
        assert ocipush.h1_hash(packages[host_platform()]) in hashes
        served = {h for data in packages.values() for h in (ocipush.h1_hash(data), "zh:" + sha256_hex(data))}
        assert hashes <= served, hashes - served
        tofu.run(work, "apply", "-auto-approve")
        assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"
        assert writes(target.registry.calls_since(mark)) == []   # served from what was imported, nothing written
    finally:
        if stack:
            stack.stop()
        if target:
            target.stop()
        up.stop()


# ---------------------------------------------------------------- --from-lock

def test_from_lock_made_against_the_upstream_imports_the_locked_release(upstream, direct_lock, target, tls):
    """The lock file of `tofu init` against localhost:PORT/acme/widget: reached at https://localhost:PORT."""
    path, address, text = direct_lock
    _, hashes = lock_entries(os.path.dirname(path))[address]
    packages = upstream.package_bytes(WIDGET, "1.1.0")
    assert {"zh:" + sha256_hex(data) for data in packages.values()} <= hashes   # the control: what tofu recorded

    repo = "terraform-providers/localhost_%d/%s" % (upstream.port, WIDGET)
    mark = target.registry.mark()
    proc = target.push("--from-lock", path, "--upstream-ca-file", tls[0])
    calls = target.registry.calls_since(mark)
    assert proc.returncode == 0, output(proc)
    assert "1 of 1 providers of %s are stored" % path in proc.stdout, output(proc)
    assert target.registry.tags(repo) == ["1.1.0"]
    assert_imported(target.registry, repo, "1.1.0", packages, upstream.shasums(WIDGET, "1.1.0"), upstream.key)
    assert_tag_written_last(calls, repo, "1.1.0")

    mark = target.registry.mark()
    again = target.push("--from-lock", path, "--upstream-ca-file", tls[0])
    assert again.returncode == 0, output(again)
    assert "nothing to do" in again.stdout, output(again)
    assert writes(target.registry.calls_since(mark)) == []


def test_from_lock_made_through_a_host_block_imports_with_the_upstream_url(upstream, target, tls, tofu_factory,
                                                                           tmp_path):
    """tofu with a CLI `host "registry.terraform.io"` block pointing at the upstream writes a lock file for
    registry.terraform.io/acme/widget; --upstream-url reaches that hostname's registry at the upstream."""
    tofu = tofu_factory('host "registry.terraform.io" {\n  services = {\n    "providers.v1" = "%s/registry/"\n  }\n}\n'
                        % upstream.url)
    work = project(str(tmp_path / "work"), provider_config(ADDRESS, "1.0.0"))
    init = tofu.run(work, "init")
    assert "Installed %s v1.0.0" % ADDRESS in plain(init.stdout), init.stdout
    assert upstream.key.key_id in plain(init.stdout)
    path = os.path.join(work, ".terraform.lock.hcl")

    proc = target.push("--from-lock", path, "--upstream-url", upstream.url, "--upstream-ca-file", tls[0])
    assert proc.returncode == 0, output(proc)
    assert target.registry.tags(REPO) == ["1.0.0"]
    assert_imported(target.registry, REPO, "1.0.0", upstream.package_bytes(WIDGET, "1.0.0"),
                    upstream.shasums(WIDGET, "1.0.0"), upstream.key)


@pytest.mark.parametrize("which", ["every-hash", "one-platform"])
def test_from_lock_whose_hashes_were_altered_is_refused_and_nothing_is_written(upstream, direct_lock, target, tls,
                                                                               tmp_path, which):
    path, address, text = direct_lock
    recorded = re.findall(r'"((?:zh|h1):[^"]+)"', text)
    assert recorded
    if which == "every-hash":
        altered = re.sub(r'"((?:zh|h1):[^"]+)"', lambda m: '"%s"' % altered_hash(m.group(1)), text)
        assert not set(re.findall(r'"((?:zh|h1):[^"]+)"', altered)) & set(recorded)
        platform = None
    else:   # only darwin_arm64's zh: (the one hash tofu recorded for it, another machine's platform)
        platform = "darwin_arm64"
        assert platform != host_platform()
        zh = "zh:" + sha256_hex(upstream.package_bytes(WIDGET, "1.1.0")[platform])
        assert '"%s"' % zh in text
        altered = text.replace('"%s"' % zh, '"%s"' % altered_hash(zh))
    assert len(re.findall(r'"((?:zh|h1):[^"]+)"', altered)) == len(recorded)
    lock = tmp_path / "lock" / ".terraform.lock.hcl"
    lock.parent.mkdir()
    lock.write_text(altered)

    repo = "terraform-providers/localhost_%d/%s" % (upstream.port, WIDGET)
    mark = target.registry.mark()
    proc = target.push("--from-lock", str(lock), "--upstream-ca-file", tls[0])
    calls = target.registry.calls_since(mark)
    assert proc.returncode == 1, output(proc)
    assert "matches none of the hashes the lock file recorded" in proc.stderr, output(proc)
    if platform:
        assert "the %s package of %s 1.1.0 matches none" % (platform, WIDGET) in proc.stderr, output(proc)
    assert "0 of 1 providers" in proc.stdout, output(proc)
    assert_nothing_written(target, repo, calls)


@pytest.mark.parametrize("text", [
    pytest.param('provider "registry.terraform.io/acme/widget" {\n  version = "1.0.0"\n  hashes = [\n',
                 id="unclosed-list"),
    pytest.param("this is { not hcl\n", id="not-hcl"),
    pytest.param("# nothing here\n", id="no-provider-blocks"),
    pytest.param('provider "registry.terraform.io/acme/widget" {\n  constraints = "~> 1.0"\n}\n', id="no-version"),
])
def test_from_lock_a_lock_file_that_does_not_parse_exits_64_naming_it(upstream, target, tls, tmp_path, text):
    """README: exit status 64 for "a lock file that does not parse" (78 is for the program's configuration)."""
    lock = tmp_path / "broken.lock.hcl"
    lock.write_text(text)
    mark = target.registry.mark()
    proc = target.push("--from-lock", str(lock), "--upstream-url", upstream.url, "--upstream-ca-file", tls[0])
    calls = target.registry.calls_since(mark)
    assert "broken.lock.hcl" in proc.stderr, output(proc)
    assert proc.returncode == 64, output(proc)
    assert_nothing_written(target, REPO, calls)


# ---------------------------------------------------------------- progress bars

@pytest.mark.parametrize("quiet", [False, True], ids=["terminal", "terminal-quiet"])
def test_progress_bars_are_drawn_on_a_terminal(upstream, target, tls, quiet):
    """stderr on a pseudo-terminal: each download and upload gets a bar, drawn empty, then full, then cleared;
    --quiet draws none."""
    platform = host_platform()
    data = upstream.package_bytes(WIDGET, "1.0.0")[platform]
    assert len(data) > 2 << 20, "the real provider's zip is a few MB: %d bytes" % len(data)
    size = human_size(len(data))
    status, stdout, terminal = run_on_terminal(
        target.argv(*from_registry_args(upstream.url, tls[0], ADDRESS, "1.0.0"), *(["--quiet"] if quiet else [])),
        target.env)
    assert status == 0, "exit %d\n%s\n%r" % (status, stdout, terminal)
    assert "imported %s 1.0.0" % ADDRESS in stdout
    assert target.registry.tags(REPO) == ["1.0.0"]
    if quiet:
        assert "[" not in terminal and "\r" not in terminal and "\x1b" not in terminal, repr(terminal[:2000])
        return
    for verb in ("download", "upload"):
        label = "%s %s" % (verb, platform)
        empty = "\r%s [%s] 0 B / %s\x1b[K" % (label, " " * BAR_WIDTH, size)
        full = "\r%s [%s] %s / %s\x1b[K" % (label, "#" * BAR_WIDTH, size, size)
        assert empty in terminal, "no empty %s bar %r in %r" % (verb, empty, terminal[:3000])
        assert full in terminal, "no full %s bar %r in %r" % (verb, full, terminal[:3000])
        assert terminal.index(full) > terminal.index(empty)
        assert terminal[terminal.rindex(full) + len(full):].startswith(CLEAR_LINE), repr(terminal[:3000])
        # Every drawing of the bar is well formed: <done> never above the size, the cells never past 30.
        for drawn in re.findall(r"\r%s \[([# ]*)\] ([^/]*) / ([^\x1b]*)\x1b\[K" % re.escape(label), terminal):
            assert len(drawn[0]) == BAR_WIDTH and drawn[2] == size, drawn
    for other in ALL_PLATFORMS:   # the stand-ins are downloaded too, each with its bar
        assert "\rdownload %s [" % other in terminal, other
    # The summary lines stay on stdout, free of drawing.
    assert "\r" not in stdout and "\x1b" not in stdout


def test_no_progress_drawing_without_a_terminal(upstream, target, tls):
    proc = target.push(*from_registry_args(upstream.url, tls[0], ADDRESS, "1.0.0"))
    assert proc.returncode == 0, output(proc)
    assert "imported %s 1.0.0" % ADDRESS in proc.stdout
    for drawing in ("\r", "\x1b[", "[" + "#" * 5, "download %s [" % host_platform(), "upload %s [" % host_platform()):
        assert drawing not in proc.stderr, "progress drawing %r on stderr without a terminal: %r" % (drawing,
                                                                                                    proc.stderr)
        assert drawing not in proc.stdout, "progress drawing %r on stdout: %r" % (drawing, proc.stdout)


@pytest.fixture(scope="module")
def unsized(tmp_path_factory, tls):
    """A fake upstream whose acme/unsized 1.0.0 (linux_amd64: a 3 MiB zip) is downloaded without a Content-Length."""
    d = fixture_dir(tmp_path_factory, "pfr-unsized")
    publisher = GpgKey(d, "pfr-unsized-publisher")
    server = UnsizedFakeUpstream(tls)
    try:
        server.add("acme/unsized", "1.0.0",
                   {"linux_amd64": executable_zip("terraform-provider-unsized_v1.0.0", os.urandom(3 << 20))},
                   publisher, publisher)
        server.publisher = publisher
        yield server
    finally:
        server.stop()
        publisher.stop()


def test_a_download_of_unknown_size_is_drawn_without_a_made_up_size_and_throttled(unsized, target, tls):
    """A package answered without Content-Length (size unknown, -1 to the ImportObserver): the bar may not claim a
    size or a completion it does not know (no "-1 B", no full bar at 0 B), and is redrawn at most ten times a
    second like any other bar (push_report.h), not once per chunk."""
    data = unsized.releases[("acme", "unsized")]["1.0.0"].packages["linux_amd64"]
    started = time.monotonic()
    status, stdout, terminal = run_on_terminal(
        target.argv(*from_registry_args(unsized.url, tls[0], "registry.terraform.io/acme/unsized", "1.0.0")),
        target.env)
    elapsed = time.monotonic() - started
    assert status == 0, "exit %d\n%s\n%r" % (status, stdout, terminal[:2000])
    assert_imported(target.registry, PREFIX + "/acme/unsized", "1.0.0", {"linux_amd64": data},
                    unsized.releases[("acme", "unsized")]["1.0.0"].shasums, unsized.publisher)
    drawings = re.findall(r"\rdownload linux_amd64 ([^\r]*?)\x1b\[K", terminal)
    assert drawings, "no download bar at all: %r" % terminal[:2000]
    assert human_size(len(data)) in drawings[-1], drawings[-1]   # what arrived is shown
    problems = []
    if any("-1 B" in d for d in drawings):
        problems.append("the unknown size is shown as \"-1 B\": %r" % drawings[0])
    if any(re.match(r"\[#{%d}\] 0 B\b" % BAR_WIDTH, d) for d in drawings):
        problems.append("a full bar is drawn before a byte arrived: %r" % drawings[0])
    most = 3 + int(10 * elapsed)
    if len(drawings) > most:
        problems.append("%d drawings in %.2f s (at most ten a second allow %d)" % (len(drawings), elapsed, most))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- refusals

SIGNATURE_REFUSAL = ("the signature over SHA256SUMS of %s 1.0.0 does not verify with the signing keys the upstream "
                     "gives")


@pytest.mark.parametrize("source,address,problem", [
    pytest.param("upstream", "acme/forged", SIGNATURE_REFUSAL, id="publisher-checksums-signed-by-another-key"),
    pytest.param("fake", "acme/foreign", SIGNATURE_REFUSAL, id="fake-signature-by-a-key-it-does-not-list"),
    pytest.param("fake", "acme/tampered", "package of %s 1.0.0 does not match its checksum",
                 id="fake-zip-not-matching-its-SHA256SUMS-line"),
])
def test_an_upstream_release_that_does_not_verify_is_refused_and_nothing_is_written(request, target, tls, source,
                                                                                    address, problem):
    server = request.getfixturevalue(source)
    repo = PREFIX + "/" + address
    mark = target.registry.mark()
    proc = target.push(*from_registry_args(server.url, tls[0], "registry.terraform.io/" + address, "1.0.0"))
    calls = target.registry.calls_since(mark)
    assert proc.returncode == 1, output(proc)
    assert problem % address in proc.stderr, output(proc)
    if "signature" not in problem:   # the signature was good: blaming it would be a wrong diagnosis
        assert "signature" not in proc.stderr.lower(), output(proc)
    assert_nothing_written(target, repo, calls)


def test_the_fake_upstreams_genuine_release_is_imported(fake, target, tls):
    """The control for the refusals: the same fake, its release well made, is imported, with its signature."""
    proc = target.push(*from_registry_args(fake.url, tls[0], "registry.terraform.io/acme/genuine", "1.0.0"))
    assert proc.returncode == 0, output(proc)
    release = fake.releases[("acme", "genuine")]["1.0.0"]
    assert_imported(target.registry, PREFIX + "/acme/genuine", "1.0.0", release.packages, release.shasums,
                    fake.publisher)
    assert all(authorization is None for _, _, authorization in fake.requests)
