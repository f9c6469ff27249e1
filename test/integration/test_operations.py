"""Operating the pool: a registry that goes away, reloads and dying workers under load, logs."""

import os
import signal
import socket
import subprocess
import threading
import time

import pytest

import ocipush
import servers

DOC = "/mirror/registry.terraform.io/hashicorp/ops/1.0.0.json"


class Load:
    """Requests in a loop from a few threads, counting failures, until stopped."""

    def __init__(self, client, paths, threads=3):
        self.client = client
        self.paths = paths
        self.ok = 0
        self.failures = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self):
        i = 0
        while not self._stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                r = self.client.get(path, timeout=15)
                if r.status == 200:
                    self.ok += 1
                else:
                    self.failures.append((path, r.status, r.body[:200]))
            except Exception as e:  # a reset connection is a failed request too
                self.failures.append((path, "exception", repr(e)))

    def wait_for(self, count, timeout=30):
        target = self.ok + count
        servers.wait_until(lambda: self.ok >= target or self.failures, "%d more successful requests" % count, timeout)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(30)


@pytest.fixture(scope="module")
def ops(workdir, tls):
    d = str(workdir / "ops")
    os.makedirs(d)
    registry = servers.DockerRegistry(d).start()
    push = ocipush.Registry(registry.url)
    repo = "terraform-providers/registry.terraform.io/hashicorp/ops"
    ocipush.push_opentofu_release(push, repo, "1.0.0", {"linux_amd64": ocipush.provider_zip("ops")})
    ocipush.push_opentofu_release(push, repo + "2", "1.0.0", {"linux_amd64": ocipush.provider_zip("ops2")})
    config = os.path.join(d, "config.hcl")
    servers.write_app_config(config, registry.url, listen="unix:%s/app.sock" % d,
                             extra_server='  socket_mode = "0666"\n  tags_cache_ttl = "0s"\n'
                                          '  max_requests_per_worker = 150\n')
    app = servers.AppPool(d, config).start()
    os.makedirs(os.path.join(d, "nginx"))
    nginx = servers.Nginx(os.path.join(d, "nginx"), app.socket, tls).start()
    client = servers.Client(nginx.url, tls[0])
    yield registry, app, client, config
    nginx.stop()
    app.stop()
    registry.stop()


def test_registry_stopped_then_back(ops):
    registry, _, client, _ = ops
    assert client.get(DOC).status == 200
    registry.stop()
    try:
        started = time.monotonic()
        r = client.get("/mirror/registry.terraform.io/hashicorp/ops2/index.json")
        assert r.status == 502
        assert r.content_type == "application/json"
        assert time.monotonic() - started < 5
    finally:
        registry.start()
    assert client.get("/mirror/registry.terraform.io/hashicorp/ops2/index.json").status == 200


def test_silent_registry_times_out_with_504(workdir, tls):
    d = str(workdir / "silent")
    os.makedirs(d)
    # Accepts connections and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    config = os.path.join(d, "config.hcl")
    servers.write_app_config(config, "http://127.0.0.1:%d" % listener.getsockname()[1],
                             listen="unix:%s/app.sock" % d, extra_server='  socket_mode = "0666"\n')
    with open(config) as f:
        text = f.read().replace('request_timeout = "5s"', 'request_timeout = "2s"')
    with open(config, "w") as f:
        f.write(text)
    app = servers.AppPool(d, config).start()
    os.makedirs(os.path.join(d, "nginx"))
    nginx = servers.Nginx(os.path.join(d, "nginx"), app.socket, tls).start()
    try:
        started = time.monotonic()
        r = servers.Client(nginx.url, tls[0]).get("/mirror/registry.terraform.io/hashicorp/x/index.json")
        elapsed = time.monotonic() - started
        assert r.status == 504
        assert r.content_type == "application/json"
        assert 1.5 < elapsed < 8
    finally:
        nginx.stop()
        app.stop()
        listener.close()


def test_killed_worker_reload_and_recycling_lose_no_request(ops):
    _, app, client, _ = ops
    load = Load(client, [DOC, "/mirror/registry.terraform.io/hashicorp/ops/index.json", "/healthz"])
    try:
        load.wait_for(50)
        victim = app.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        servers.wait_until(lambda: victim not in app.worker_pids() and len(app.worker_pids()) == 2,
                           "the master to replace the killed worker")
        load.wait_for(100)
        before = set(app.worker_pids())
        app.process.signal(signal.SIGHUP)
        servers.wait_until(lambda: not (before & set(app.worker_pids())), "the old generation to drain")
        # max_requests_per_worker = 150: a worker of the new generation recycles while requests flow.
        servers.wait_until(lambda: "worker recycled after 150 requests" in app.log(), "a worker to recycle",
                           timeout=60)
        load.wait_for(50)  # and its replacement serves
    finally:
        load.stop()
    assert load.failures == []
    log = app.log()
    assert "was killed by signal" in log
    assert "configuration reloaded" in log
    assert "worker recycled after 150 requests" in log


def test_invalid_reload_keeps_serving(ops):
    _, app, client, config = ops
    original = open(config).read()
    try:
        with open(config, "a") as f:
            f.write("server_typo {}\n")
        pids = set(app.worker_pids())
        app.process.signal(signal.SIGHUP)
        servers.wait_until(lambda: "running workers keep the old one" in app.log(), "the reload to be refused")
        assert set(app.worker_pids()) == pids
        assert client.get(DOC).status == 200
        assert 'unknown block "server_typo"' in app.log()
    finally:
        with open(config, "w") as f:
            f.write(original)


def test_a_reload_says_socket_settings_wait_for_a_restart(ops):
    _, app, client, config = ops
    original = open(config).read()
    assert 'socket_mode = "0666"' in original
    try:
        with open(config, "w") as f:
            f.write(original.replace('socket_mode = "0666"', 'socket_mode = "0664"'))
        app.process.signal(signal.SIGHUP)
        servers.wait_until(lambda: app.log().count("configuration reloaded") >= 1 and
                           "they take effect only after a restart" in app.log(), "the reload and its warning")
        assert client.get(DOC).status == 200
    finally:
        with open(config, "w") as f:
            f.write(original)


def test_access_log_has_no_secrets(ops):
    _, app, client, _ = ops
    doc = client.get(DOC, headers={"Authorization": "Bearer not-a-real-token-but-secret"})
    assert doc.status in (200, 401)
    plain = client.get(DOC).json()
    url = plain["archives"]["linux_amd64"]["url"]
    assert client.get(url).status == 200
    log = app.log()
    assert "not-a-real-token-but-secret" not in log
    assert servers.SECRET not in log
    assert url.split("?token=")[1] not in log
    assert "?token" not in log
    assert "GET " + url.split("?")[0] + " 200" in log


def test_shared_hosting_needs_only_htaccess_binary_and_config(workdir, tls, registry, published):
    d = str(workdir / "shared")
    os.makedirs(d)
    apache = servers.shared_hosting(d, tls, registry.url)
    try:
        client = servers.Client(apache.url, tls[0])
        r = client.get("/tf/mirror/registry.terraform.io/hashicorp/null/index.json")
        assert r.status == 200, apache.log()
        assert "3.2.0" in r.json()["versions"]
        doc = client.get("/tf/mirror/registry.terraform.io/hashicorp/null/3.2.0.json").json()
        url = doc["archives"]["linux_amd64"]["url"]
        assert url.startswith("/tf/mirror/_packages/")
        assert client.get(url).status == 200
        assert client.get("/tf/config.hcl").status == 403
    finally:
        apache.stop()


def test_shared_hosting_serves_no_file_beside_the_program(workdir, tls, registry, published):
    """Issue 18, finding 11: a secret, a key or any other file put beside config.hcl (or below it) is never
    served, while the program still answers; check-config (and the program's start) warn about a secret file
    kept there."""
    d = str(workdir / "shared-files")
    os.makedirs(d)
    apache = servers.shared_hosting(d, tls, registry.url)
    site = os.path.join(apache.docroot, "tf")
    try:
        # The configuration reads its query string secret from a file beside it (a relative path).
        config = os.path.join(site, "config.hcl")
        text = open(config).read()
        with open(config, "w") as f:
            f.write(text.replace('query_string_secret = "%s"' % servers.SECRET, 'query_string_secret_file = "secret"'))
        os.makedirs(os.path.join(site, "keys"))
        files = {"secret": servers.SECRET + "\n", "key.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecret-key\n",
                 "random.txt": "random-contents\n", "config.hcl.bak": "a-backup\n",
                 "keys/signing.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nnested-key\n"}
        for name, content in files.items():
            with open(os.path.join(site, name), "w") as f:
                f.write(content)
            os.chmod(os.path.join(site, name), 0o644)  # readable by Apache: only the rules keep it in
        client = servers.Client(apache.url, tls[0])
        r = client.get("/tf/mirror/registry.terraform.io/hashicorp/null/index.json")
        assert r.status == 200, apache.log()
        assert "3.2.0" in r.json()["versions"]
        url = client.get("/tf/mirror/registry.terraform.io/hashicorp/null/3.2.0.json").json()["archives"][
            "linux_amd64"]["url"]
        assert client.get(url).status == 200  # sealed with the secret read from the file
        for name, content in list(files.items()) + [("config.hcl", "origin_url"), (".htaccess", "RewriteRule"),
                                                     ("registry.fcgi", "\x7fELF")]:
            for path in ("/tf/" + name, "/tf/" + name + "?x=1", "/tf/./" + name):
                got = client.get(path)
                assert got.status in (400, 403, 404), (path, got.status)  # 400: the program refuses "/./"
                assert content.splitlines()[-1].encode() not in got.body, path
        listing = client.get("/tf/keys/")
        assert listing.status in (403, 404) and b"signing.asc" not in listing.body

        # The program, started by mod_fcgid, warned in Apache's error log; check-config says it too.
        expected = 'the secret file "%s" named by "query_string_secret_file"' % os.path.join(site, "secret")
        assert expected in apache.log()
        checked = subprocess.run([os.path.join(site, "registry.fcgi"), "check-config"], capture_output=True,
                                 text=True, env=dict(os.environ, OCI_DISTRIBUTION_TERRAFORM_REGISTRY_CONFIG=config))
        assert checked.returncode == 0, checked.stderr
        assert expected in checked.stderr and "which has an .htaccess file" in checked.stderr
        assert servers.SECRET not in checked.stderr + checked.stdout
    finally:
        apache.stop()
