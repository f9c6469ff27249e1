"""Regression tests for the security review (issue 9): each would fail on the code before its fix.

Real components: docker-registry, the worker pool behind nginx, gpg. Small Python servers stand in
only where a real component cannot misbehave on purpose (a registry that redirects uploads elsewhere).
"""

import os
import signal

import pytest

import ocipush
import servers
from gpgkeys import GpgKey

PREFIX = "terraform-providers/registry.terraform.io"


class Stack:
    pass



def registry_block(origin, key_file, extra=""):
    """A provider_registry "registry" over `origin` signing with `key_file`; `extra` lines go inside."""
    return ('provider_registry "registry" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
            '  signing_key_file = "%s"\n%s}\n' % (origin, key_file, extra))

@pytest.fixture(scope="module")
def signing(workdir, tls):
    """A provider registry with an operator key, one worker process of one thread (so every request
    lands on the same reused libcurl handle), and a registry holding good and bad releases."""
    s = Stack()
    d = str(workdir / "security")
    os.makedirs(d)
    s.dir = d
    s.registry = servers.DockerRegistry(d).start()
    s.operator = GpgKey(d, "operator")
    push = ocipush.Registry(s.registry.url)
    s.widget = ocipush.push_opentofu_release(push, PREFIX + "/acme/widget", "1.0.0",
                                             {p: ocipush.provider_zip("widget", seed=p)
                                              for p in ("linux_amd64", "darwin_arm64")})
    # A publisher's SHA256SUMS layer over the 1 MiB limit for publisher files.
    big = ocipush.push_opentofu_release(push, PREFIX + "/acme/bigsums", "1.0.0",
                                        {"linux_amd64": ocipush.provider_zip("bigsums")})
    sums = ("%s  terraform-provider-bigsums_1.0.0_linux_amd64.zip\n" % big["linux_amd64"][0][7:]).encode()
    ocipush.attach_signed_checksums(push, PREFIX + "/acme/bigsums", "1.0.0", sums + b"#" * (3 << 19),
                                    s.operator.sign(sums), s.operator.public_armored)
    s.stack = servers.NginxStack(
        os.path.join(d, "app"),
        registry_block(s.registry.url, s.operator.secret_file, "  proxy_packages = true\n") +
        'provider_mirror "mirror" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n}\n' % s.registry.url,
        tls, workers=1, threads=1)
    s.client = s.stack.client
    yield s
    s.stack.stop()
    s.registry.stop()
    s.operator.stop()


def test_an_oversized_publisher_file_is_a_clean_error_and_the_worker_keeps_serving(signing):
    for _ in range(3):
        bad = signing.client.get("/registry/acme/bigsums/1.0.0/download/linux/amd64")
        assert bad.status == 502
        assert bad.content_type == "application/json"
        # The same (only) worker thread, on the same reused libcurl handle, serves the next ones.
        versions = signing.client.get("/registry/acme/widget/versions")
        assert versions.status == 200, versions.body
        doc = signing.client.get("/registry/acme/widget/1.0.0/download/linux/amd64")
        assert doc.status == 200, doc.body
        assert signing.client.get(doc.json()["download_url"]).status == 200
    assert "is larger than expected" in signing.stack.app.log()


# ---------------------------------------------------------------- 3: private GnuPG homes never outlive their process

def gnupg_homes(directory):
    return sorted(n for n in os.listdir(directory) if n.startswith("otr-gnupg-"))


def agents_serving(home):
    """Pids of gpg-agent processes started for `home` (they daemonise: not our children)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"gpg-agent") and home.encode() in b" ".join(argv):
            pids.append(int(pid))
    return pids


def dead_pid():
    """A pid no process has (a stale home's owner)."""
    for pid in range(4000000, 3000000, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise AssertionError("no free pid found")


def test_gnupg_homes_are_swept_at_start_removed_when_a_worker_is_killed_and_at_stop(workdir, tls, signing):
    d = str(workdir / "gnupg-homes")
    runtime = os.path.join(d, "runtime")
    os.makedirs(runtime)
    # What a crashed process of an earlier run left: a home with a private key in it.
    stale = os.path.join(runtime, "otr-gnupg-%d-AbCdEf" % dead_pid())
    os.makedirs(os.path.join(stale, "private-keys-v1.d"))
    with open(os.path.join(stale, "private-keys-v1.d", "0123.key"), "w") as f:
        f.write("secret")
    stack = servers.NginxStack(
        d, registry_block(signing.registry.url, signing.operator.secret_file),
        tls, app_env={"RUNTIME_DIRECTORY": runtime}, workers=2)
    try:
        assert not os.path.exists(stale)
        # Every worker signs once, so each has a home and an agent.
        for _ in range(6):
            assert stack.client.get("/registry/acme/widget/1.0.0/SHA256SUMS.sig").status == 200
        workers = stack.app.worker_pids()
        servers.wait_until(lambda: len(gnupg_homes(runtime)) == 2, "one GnuPG home per worker")
        victim = workers[0]
        victim_home = next(h for h in gnupg_homes(runtime) if h.startswith("otr-gnupg-%d-" % victim))
        os.kill(victim, 9)
        servers.wait_until(lambda: victim_home not in gnupg_homes(runtime), "the killed worker's home to be removed")
        assert agents_serving(os.path.join(runtime, victim_home)) == []
        servers.wait_until(lambda: len(stack.app.worker_pids()) == 2, "a replacement worker")
        assert stack.client.get("/registry/acme/widget/1.0.0/SHA256SUMS.sig").status == 200
    finally:
        stack.stop()
    assert gnupg_homes(runtime) == []


def test_a_worker_that_exits_past_its_shutdown_deadline_removes_its_gnupg_home(workdir, signing):
    """Spawned mode (as mod_fcgid runs it: no master to clean up after it), a request stuck on a
    registry that never answers, SIGTERM: the process _exits after shutdown_timeout, home removed."""
    import socket
    import subprocess
    import threading
    d = str(workdir / "abrupt-exit")
    runtime = os.path.join(d, "runtime")
    os.makedirs(runtime)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    config = os.path.join(d, "config.hcl")
    with open(config, "w") as f:
        f.write('provider_registry "registry" {\n  origin_url = "http://127.0.0.1:%d"\n  signing_key_file = "%s"\n}\n'
                'server {\n  shutdown_timeout = "1s"\n  request_timeout = "60s"\n  worker_threads = 2\n}\n'
                % (silent.getsockname()[1], signing.operator.secret_file))
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(d, "fcgi.sock"))
    listener.listen(8)
    spawned = servers.Process([servers.BINARY, "--config", config, "server"], os.path.join(d, "app.log"),
                              env=dict(os.environ, RUNTIME_DIRECTORY=runtime), stdin=listener.fileno())
    client = None
    try:
        spawned.wait_ready(lambda: len(gnupg_homes(runtime)) == 1, "the signer's GnuPG home")
        home = os.path.join(runtime, gnupg_homes(runtime)[0])
        env = dict(os.environ, REQUEST_METHOD="GET", REQUEST_URI="/registry/acme/x/versions",
                   SCRIPT_NAME="/registry/acme/x/versions")
        client = subprocess.Popen(["cgi-fcgi", "-bind", "-connect", os.path.join(d, "fcgi.sock")], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.wait_until(lambda: accepted, "the request to reach the silent registry")
        spawned.signal(signal.SIGTERM)
        assert spawned.proc.wait(20) == 1
    finally:
        spawned.stop()
        listener.close()
        if client:
            client.kill()
    assert "exiting without them" in spawned.output()
    assert gnupg_homes(runtime) == []
    assert agents_serving(home) == []


# ---------------------------------------------------------------- 4: bounded work for a provider's versions

def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def test_versions_of_a_provider_with_huge_release_indexes_stay_in_bounded_memory(workdir, tls, signing):
    d = str(workdir / "huge-indexes")
    push = ocipush.Registry(signing.registry.url)
    repo = PREFIX + "/acme/huge"
    ocipush.push_opentofu_release(push, repo, "1.0.0", {"linux_amd64": ocipush.provider_zip("huge")})
    ocipush.push_opentofu_release(push, repo, "1.1.0", {"linux_amd64": ocipush.provider_zip("huge-1.1")})
    index = push.get_manifest(repo, "1.0.0")
    for i in range(40):  # 40 versions whose index is 3 MiB each (a well-formed index, padded)
        padded = dict(index, annotations={"padding": "%02d" % i + "x" * (3 << 20)})
        push.push_manifest(repo, "2.%d.0" % i, padded)
    stack = servers.NginxStack(
        d, registry_block(signing.registry.url, signing.operator.secret_file), tls, workers=1, threads=1)
    try:
        assert stack.client.get("/healthz").status == 200
        worker = stack.app.worker_pids()[0]
        before = peak_rss_kib(worker)
        r = stack.client.get("/registry/acme/huge/versions")
        growth_mib = (peak_rss_kib(worker) - before) / 1024
        assert growth_mib < 40, "the worker's peak RSS grew by %.0f MiB" % growth_mib
        assert r.status == 200, r.body
        assert sorted(v["version"] for v in r.json()["versions"]) == ["1.0.0", "1.1.0"]
        assert "40 version(s) left out of the listing" in stack.app.log()
    finally:
        stack.stop()


# ---------------------------------------------------------------- 5: the mount is never the client's to choose

@pytest.mark.parametrize("path", ["//evil.example/mirror", "//evil.example/.well-known/terraform.json",
                                  "/evil.example/.well-known/terraform.json", "/evil.example/registry"])
def test_no_redirect_or_link_points_where_the_client_said(signing, tls, path):
    import json
    status, head, body = servers.raw_request(signing.stack.port, tls[0], "GET %s HTTP/1.1" % path)
    assert status in (400, 404), body
    assert "location:" not in head.lower()
    assert list(json.loads(body)) == ["errors"]  # an error, never a document with links in it


def test_apache_rewrite_mode_mounts_at_the_script_directory(workdir, tls, signing):
    d = str(workdir / "shared-mount")
    os.makedirs(d)
    apache = servers.shared_hosting(d, tls, signing.registry.url)
    try:
        redirect = servers.Client(apache.url, tls[0]).get("/tf/mirror")
        assert redirect.status == 301
        assert redirect.headers["Location"] == "/tf/mirror/"
        for path in ("/tf//evil.example/mirror", "/tf/evil.example/mirror"):
            status, head, body = servers.raw_request(apache.port, tls[0], "GET %s HTTP/1.1" % path)
            assert status in (400, 404), head
            assert "location:" not in head.lower()
    finally:
        apache.stop()


# ---------------------------------------------------------------- 10: secrets from the environment stay in the program

def environ_of(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return f.read()


def test_no_child_inherits_a_secret_given_in_the_environment(workdir, tls, signing):
    d = str(workdir / "env-secrets")
    runtime = os.path.join(d, "runtime")
    os.makedirs(runtime)
    protected = GpgKey(d, "protected", passphrase="correct horse battery staple")
    secret_hex = "ab" * 32
    stack = servers.NginxStack(
        d, registry_block(signing.registry.url, protected.secret_file,
                          '  signing_key_passphrase_env = "OTR_TEST_PASSPHRASE"\n  proxy_packages = true\n'),
        tls, workers=1, app_env={"RUNTIME_DIRECTORY": runtime, "OTR_TEST_PASSPHRASE": protected.passphrase,
                                 "OCI_DISTRIBUTION_TERRAFORM_REGISTRY_QUERY_STRING_SECRET": secret_hex})
    try:
        assert stack.client.get("/registry/acme/widget/1.0.0/SHA256SUMS.sig").status == 200
        homes = gnupg_homes(runtime)
        assert len(homes) == 1
        agents = agents_serving(os.path.join(runtime, homes[0]))
        assert agents, "signing started a gpg-agent"
        for pid in agents:
            env = environ_of(pid)
            assert protected.passphrase.encode() not in env
            assert b"OTR_TEST_PASSPHRASE" not in env
            assert b"QUERY_STRING_SECRET" not in env and secret_hex.encode() not in env
    finally:
        stack.stop()
        protected.stop()


# ---------------------------------------------------------------- 11: sealed tokens have a purpose; nginx logs no token

def test_a_checksums_token_does_not_open_a_package_download(signing):
    import urllib.parse
    base = "/registry/acme/widget/1.0.0/download/linux/amd64"
    doc = signing.client.get(base, headers={"Authorization": "Bearer caller-token"})
    assert doc.status == 200, doc.body
    token = urllib.parse.parse_qs(urllib.parse.urlparse(doc.json()["shasums_url"]).query)["token"][0]
    release_digest = ocipush.Registry(signing.registry.url).manifest_digest(PREFIX + "/acme/widget", "1.0.0")
    # The checksums token names the release manifest: as a package token it would stream it.
    r = signing.client.get("/registry/_packages/%s/x.zip?token=%s" % (release_digest, token))
    assert r.status == 403
    assert r.json() == {"errors": ["this download link is not valid"]}
    sums = urllib.parse.urljoin(base, doc.json()["shasums_url"])
    assert signing.client.get(sums).status == 200  # and it still does its own job


def test_the_shipped_nginx_configuration_logs_no_token(signing):
    doc = signing.client.get("/registry/acme/widget/1.0.0/download/linux/amd64")
    url = doc.json()["download_url"]
    assert "?token=" in url
    assert signing.client.get(url).status == 200
    log = signing.stack.nginx.access_log()
    assert url.split("?")[0] in log
    assert "token=" not in log


# ---------------------------------------------------------------- 12: error bodies name no internal host

def test_error_bodies_name_the_request_id_not_the_registry(workdir, tls):
    import re
    d = str(workdir / "error-bodies")
    registry = servers.DockerRegistry(d).start()
    port = registry.port
    stack = servers.NginxStack(d, 'provider_mirror "mirror" {\n  origin_url = "%s"\n}\n' % registry.url, tls)
    try:
        registry.stop()
        r = stack.client.get("/mirror/registry.terraform.io/acme/gone/index.json")
        assert r.status == 502
        message = r.json()["errors"][0]
        assert "127.0.0.1" not in message and str(port) not in message and "connect" not in message.lower()
        request_id = re.search(r"request id ([0-9a-f]+)", message).group(1)  # nginx's $request_id
        detail = [line for line in stack.app.log().splitlines() if request_id in line and "unreachable" in line]
        assert detail and "127.0.0.1" in detail[0]  # the operator gets the whole story
    finally:
        stack.stop()
