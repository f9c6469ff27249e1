"""Download offload (issue 12, "Downloads"; README "Download offload") through each real web server.

One random package of 3 MiB is published four times: into the session's anonymous docker-registry,
into a docker-registry protected by htpasswd (Basic), into one protected by bearer tokens (the tests'
token service), and with `push --service` into an OCI image layout directory. The web servers run the
shipped examples with their offload lines turned on:

- nginx: conf/nginx.conf with its `include` of conf/nginx-download-offload.conf, included once per
  registry (/_oci_offload/ for the anonymous one and the layout, /_oci_offload_auth/ for the htpasswd
  one, /_oci_offload_token/ for the token one); services with download_offload = "x-accel-redirect"
  for the three registries and the layout, one without offload (the streamed path), and one with
  "x-sendfile", which nginx does not do;
- lighttpd: conf/lighttpd.conf with its x-sendfile lines, a layout service with "x-sendfile" and,
  the wrong web server for it, a registry service (htpasswd, credentials) with "x-accel-redirect";
- Apache + mod_fcgid: apache-example/ with its XSendFile lines and mod_xsendfile loaded.

An offloaded download is proven by the application's own access log (the _packages GET with 0 body
bytes) beside a byte-identical body at the client (and, for nginx, nginx's access log naming the
internal URI with the package's size). Every response the client sees is checked for the offload
headers and the registries' credentials.
"""
import base64
import hashlib
import io
import json
import os
import random
import subprocess
import zipfile

import pytest

import ocipush
import servers
from registry_tokens import Realm, TokenIssuer, token_auth

PREFIX = "terraform-providers/registry.terraform.io"
NAMESPACE, TYPE, VERSION = "offload", "bigrandom", "1.0.0"
REPO = "%s/%s/%s" % (PREFIX, NAMESPACE, TYPE)
USER, PASSWORD = "offload-robot", "pw-Offload-7c1e9a"
SIZE = 3 << 20
SECRET_TEXTS = [PASSWORD, base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()]
OFFLOAD_HEADERS = ["x-registry-authorization", "x-accel-redirect", "x-sendfile"]
INCLUDE_LINE = "#include /etc/nginx/snippets/oci-distribution-terraform-registry-offload.conf;"


# ---------------------------------------------------------------- what is published

class Package:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        self.digest = "sha256:" + hashlib.sha256(self.data).hexdigest()
        self.size = len(self.data)


@pytest.fixture(scope="module")
def package(workdir):
    """A valid provider zip of about SIZE bytes, almost all of them random (stored, not deflated)."""
    d = workdir / "offload-package"
    d.mkdir()
    path = str(d / ("terraform-provider-%s_%s_linux_amd64.zip" % (TYPE, VERSION)))
    body = random.Random(12).randbytes(SIZE)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("terraform-provider-%s_v%s" % (TYPE, VERSION), (2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        z.writestr(info, b"#!/bin/sh\n" + body)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return Package(path)


@pytest.fixture(scope="module")
def anonymous_registry(registry, package):
    """The session's docker-registry (anonymous pulls), holding the package."""
    pushed = ocipush.push_opentofu_release_from_file(ocipush.Registry(registry.url), REPO, VERSION, "linux_amd64",
                                                     package.path)
    assert pushed == (package.digest, package.size)
    return registry


@pytest.fixture(scope="module")
def basic_registry(workdir, package):
    """A docker-registry that wants Basic credentials for everything, holding the package."""
    d = str(workdir / "offload-htpasswd")
    os.makedirs(d)
    reg = servers.DockerRegistry(d, auth=servers.htpasswd_auth(d, USER, PASSWORD)).start()
    push = ocipush.Registry(reg.url, authorization="Basic " + SECRET_TEXTS[1])
    assert ocipush.push_opentofu_release_from_file(push, REPO, VERSION, "linux_amd64", package.path) == \
        (package.digest, package.size)
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def token_registry(workdir, package):
    """A docker-registry with bearer-token auth (its token service gives pull tokens to robot:pw)."""
    d = str(workdir / "offload-token")
    os.makedirs(d)
    issuer = TokenIssuer(d)
    realm = Realm(issuer)
    reg = servers.DockerRegistry(d, auth=token_auth(realm, issuer)).start()
    push = ocipush.Registry(reg.url, authorization="Bearer " + issuer.mint(REPO, ("pull", "push")))
    assert ocipush.push_opentofu_release_from_file(push, REPO, VERSION, "linux_amd64", package.path) == \
        (package.digest, package.size)
    reg.realm = realm
    yield reg
    reg.stop()
    realm.stop()


@pytest.fixture(scope="module")
def layout(workdir, package):
    """An OCI image layout directory holding the package, written by `push --service`."""
    d = workdir / "offload-layout"
    d.mkdir()
    path = str(d / "layout")
    config = str(d / "push.hcl")
    with open(config, "w") as f:
        f.write('provider_mirror "gap" {\n  origin_url = "file://%s"\n  name_prefix = "terraform-providers"\n}\n'
                'server {\n  query_string_secret = "%s"\n}\n' % (path, servers.SECRET))
    r = subprocess.run([servers.BINARY, "--config", config, "push", "provider", "--service", "gap",
                        "%s/%s" % (NAMESPACE, TYPE), VERSION, package.path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    blob = os.path.join(path, "blobs", "sha256", package.digest[7:])
    with open(blob, "rb") as f:
        assert f.read() == package.data
    # The web servers' workers (nobody, www-data) read the blob files themselves.
    assert os.stat(blob).st_mode & 0o004, oct(os.stat(blob).st_mode)
    return path


# ---------------------------------------------------------------- helpers

def service(name, origin, extra=""):
    return ('provider_mirror "%s" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
            '  proxy_packages = true\n%s}\n' % (name, origin, extra))


CREDENTIALS = '  origin_credentials {\n    username = "%s"\n    password = "%s"\n  }\n' % (USER, PASSWORD)
TOKEN_CREDENTIALS = '  origin_credentials {\n    username = "robot"\n    password = "pw"\n  }\n'  # registry_tokens.Realm's
ACCEL = '  download_offload = "x-accel-redirect"\n'
SENDFILE = '  download_offload = "x-sendfile"\n'
JSON_LOG = '  log_format = "json"\n'


def package_url(client, service_name, package):
    """The sealed download URL of the package, from the mirror's version document."""
    doc = client.get("/%s/registry.terraform.io/%s/%s/%s.json" % (service_name, NAMESPACE, TYPE, VERSION))
    assert doc.status == 200, doc.body
    archive = doc.json()["archives"]["linux_amd64"]
    assert "zh:" + package.digest[7:] in archive["hashes"]
    url = archive["url"]
    assert url.startswith("/%s/_packages/%s/" % (service_name, package.digest)) and "?token=" in url
    return url


def assert_clean(response):
    """Nothing the web server sends to the client names the offload or carries registry credentials:
    not the htpasswd password (plain or in a Basic header), not a bearer token (a JWT starts "eyJ")."""
    names = [k.lower() for k in response.headers.keys()]
    for header in OFFLOAD_HEADERS:
        assert header not in names, response.headers
    head = "\n".join("%s: %s" % kv for kv in response.headers.items())
    for secret in SECRET_TEXTS + ["eyJ", "Bearer", "Basic"]:
        assert secret not in head, (secret, head)
        assert secret not in response.body[:4096].decode(errors="replace")


def download(client, url, package, headers=None):
    r = client.get(url, headers=headers)
    assert_clean(r)
    assert r.status == 200, (r.status, r.body[:500])
    assert hashlib.sha256(r.body).hexdigest() == package.digest[7:]
    assert r.body == package.data
    assert r.headers["Content-Length"] == str(package.size)
    return r


def log_entries(log_text):
    """The application's JSON log lines (log_format = "json"; a web server may put a prefix before each)."""
    entries = []
    for line in log_text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            entries.append(json.loads(line[start:]))
        except ValueError:
            continue
    return entries


def warnings(log_text):
    return [e["message"] for e in log_entries(log_text) if e.get("level") == "warning"]


def package_lines(log_text, service_name, package):
    """The application's access log entries for GETs of this package's URL."""
    path = "/%s/_packages/%s/" % (service_name, package.digest)
    return [e for e in log_entries(log_text) if e.get("method") == "GET" and e.get("path", "").startswith(path)]


def wait_for_entries(log, service_name, package, count):
    """The application writes its access log line after the answer: wait for the count-th entry."""
    servers.wait_until(lambda: len(package_lines(log(), service_name, package)) >= count,
                       "%d access log entries for %s's download" % (count, service_name), timeout=10)
    return package_lines(log(), service_name, package)


def assert_offloaded(log, service_name, package, before):
    """The request just made is in the application's access log as 200 with 0 body bytes."""
    entries = wait_for_entries(log, service_name, package, before + 1)
    entry = entries[before]
    assert entry["status"] == 200 and entry["bytes"] == 0, entry


def assert_streamed(log, service_name, package, before, status=200, body_bytes=None):
    entries = wait_for_entries(log, service_name, package, before + 1)
    entry = entries[before]
    assert entry["status"] == status and entry["bytes"] >= (package.size if body_bytes is None else body_bytes), entry
    return entry


def count(log, service_name, package):
    return len(package_lines(log(), service_name, package))


# ---------------------------------------------------------------- nginx

def offload_conf(registry_url, layout_dir, prefix="/_oci_offload/"):
    """conf/nginx-download-offload.conf with its CHANGE values for this test."""
    text = open(os.path.join(servers.ROOT, "conf", "nginx-download-offload.conf")).read()
    changes = {"http://registry.example.com:5000/v2/": registry_url + "/v2/",
               "/srv/layout/blobs/": layout_dir + "/blobs/"}
    if prefix != "/_oci_offload/":
        changes["/_oci_offload/"] = prefix
    return servers.substitute(text, changes)


@pytest.fixture(scope="module")
def nginx_stack(workdir, tls, anonymous_registry, basic_registry, token_registry, layout):
    d = workdir / "offload-nginx"
    d.mkdir()
    includes = []
    for name, url, prefix in (("offload-anonymous.conf", anonymous_registry.url, "/_oci_offload/"),
                              ("offload-basic.conf", basic_registry.url, "/_oci_offload_auth/"),
                              ("offload-token.conf", token_registry.url, "/_oci_offload_token/")):
        path = str(d / name)
        with open(path, "w") as f:
            f.write(offload_conf(url, layout, prefix))
        includes.append("include %s;" % path)
    # Where the web server's fetch fails after the program's check passed: an internal location over
    # a registry and a layout that lack the blob (gone since), one over a registry that refuses it.
    os.makedirs(d / "empty-registry")
    empty = servers.DockerRegistry(str(d / "empty-registry")).start()
    os.makedirs(d / "empty-layout" / "blobs")
    for name, url, prefix in (("offload-gone.conf", empty.url, "/_oci_offload_gone/"),
                              ("offload-refused.conf", basic_registry.url, "/_oci_offload_refused/")):
        path = str(d / name)
        with open(path, "w") as f:
            f.write(offload_conf(url, str(d / "empty-layout"), prefix))
        includes.append("include %s;" % path)
    services = (service("reg", anonymous_registry.url, ACCEL) +
                service("gone", anonymous_registry.url, ACCEL + '  offload_location = "/_oci_offload_gone"\n') +
                service("gonelayout", "file://" + layout, ACCEL + '  offload_location = "/_oci_offload_gone"\n') +
                service("refused", anonymous_registry.url, ACCEL + '  offload_location = "/_oci_offload_refused"\n') +
                service("robot", basic_registry.url, ACCEL + '  offload_location = "/_oci_offload_auth"\n' + CREDENTIALS) +
                service("tokenrobot", token_registry.url,
                        ACCEL + '  offload_location = "/_oci_offload_token"\n' + TOKEN_CREDENTIALS) +
                service("gap", "file://" + layout, ACCEL) +
                service("streamed", anonymous_registry.url) +
                service("gapsendfile", "file://" + layout, SENDFILE))
    stack = servers.NginxStack(str(d / "app"), services, tls, nginx_changes={INCLUDE_LINE: " ".join(includes)},
                               extra=JSON_LOG)
    stack.client_ca = tls[0]
    yield stack
    stack.stop()
    empty.stop()


def nginx_logged(stack, uri_part, size):
    """nginx's access log has a 200 line for `uri_part` with `size` body bytes (it writes after the answer)."""
    def found():
        return any(uri_part in line and (" 200 %d " % size) in line for line in stack.nginx.access_log().splitlines())
    servers.wait_until(found, "nginx's access log line for " + uri_part, timeout=10)


def test_nginx_offloads_an_anonymous_registry_download(nginx_stack, package):
    client, log = nginx_stack.client, nginx_stack.app.log
    url = package_url(client, "reg", package)
    before = count(log, "reg", package)
    r = download(client, url, package)
    assert r.headers["Content-Type"] == "application/zip"
    assert_offloaded(log, "reg", package, before)
    # nginx sent the bytes, from its internal location that proxies to the registry.
    nginx_logged(nginx_stack, "/_oci_offload/%s/blobs/%s" % (REPO, package.digest), package.size)


def test_nginx_offloads_a_basic_auth_registry_download(nginx_stack, basic_registry, package):
    client, log = nginx_stack.client, nginx_stack.app.log
    # Without credentials the registry refuses: the bytes below come through the program's own.
    with pytest.raises(Exception) as refused:
        ocipush.Registry(basic_registry.url).has_blob(REPO, package.digest)
    assert "401" in str(refused.value)
    url = package_url(client, "robot", package)
    before = count(log, "robot", package)
    download(client, url, package)
    assert_offloaded(log, "robot", package, before)
    nginx_logged(nginx_stack, "/_oci_offload_auth/%s/blobs/%s" % (REPO, package.digest), package.size)
    # A Range request is answered by nginx and the registry, with the program's credentials.
    part = client.get(url, headers={"Range": "bytes=100000-199999"})
    assert_clean(part)
    assert part.status == 206 and part.body == package.data[100000:200000]
    assert part.headers["Content-Range"] == "bytes 100000-199999/%d" % package.size
    assert_offloaded(log, "robot", package, before + 1)


def test_nginx_offloads_a_bearer_token_registry_download(nginx_stack, token_registry, package):
    """The program answers the registry's bearer challenge; nginx fetches the blob with its token."""
    client, log = nginx_stack.client, nginx_stack.app.log
    url = package_url(client, "tokenrobot", package)
    before = count(log, "tokenrobot", package)
    asked = token_registry.realm.requests
    assert asked >= 1  # the version document needed a token
    download(client, url, package)
    assert_offloaded(log, "tokenrobot", package, before)
    nginx_logged(nginx_stack, "/_oci_offload_token/%s/blobs/%s" % (REPO, package.digest), package.size)
    # The token the program holds for the repository was reused, and only the program asked for one.
    assert token_registry.realm.requests == asked


def test_nginx_offloads_a_layout_download(nginx_stack, package):
    client, log = nginx_stack.client, nginx_stack.app.log
    url = package_url(client, "gap", package)
    before = count(log, "gap", package)
    download(client, url, package)
    assert_offloaded(log, "gap", package, before)
    nginx_logged(nginx_stack, "/_oci_offload/blobs/sha256/" + package.digest[7:], package.size)


@pytest.mark.parametrize("service_name", ["reg", "gap"])
def test_range_request_through_nginx_offload(nginx_stack, package, service_name):
    client, log = nginx_stack.client, nginx_stack.app.log
    url = package_url(client, service_name, package)
    before = count(log, service_name, package)
    first, last = SIZE // 2, SIZE // 2 + 65535
    r = client.get(url, headers={"Range": "bytes=%d-%d" % (first, last)})
    assert_clean(r)
    assert r.status == 206, (r.status, r.body[:300])
    assert r.body == package.data[first:last + 1]
    assert r.headers["Content-Range"] == "bytes %d-%d/%d" % (first, last, package.size)
    assert_offloaded(log, service_name, package, before)
    # A suffix range: the end of the zip, as a client resuming near the end asks.
    tail = client.get(url, headers={"Range": "bytes=-1000"})
    assert tail.status == 206 and tail.body == package.data[-1000:]


def test_range_beyond_the_end_through_nginx_offload(nginx_stack, package):
    client = nginx_stack.client
    # From the layout, nginx answers itself.
    r = client.get(package_url(client, "gap", package), headers={"Range": "bytes=%d-" % package.size})
    assert_clean(r)
    assert r.status == 416 and r.headers["Content-Range"] == "bytes */%d" % package.size
    assert package.data[:16] not in r.body
    # From a registry: answered by the program, which knows the blob's size (read raw, as a
    # registry's own 416 through nginx once declared a length it never sent).
    url = package_url(client, "reg", package)
    status, head, body = servers.raw_request(nginx_stack.port, nginx_stack.client_ca,
                                             "GET %s HTTP/1.1\r\nRange: bytes=%d-" % (url, package.size))
    assert status == 416, head
    assert "Content-Range: bytes */%d" % package.size in head
    for forbidden in OFFLOAD_HEADERS + ["eyj", "bearer", "basic"]:
        assert forbidden not in head.lower()
    assert package.data[:16] not in body


SUCCESS_CACHING = "private, max-age=86400, immutable"


def assert_not_kept(response):
    """An error through the offload location carries no success caching: never max-age or immutable."""
    cache_control = response.headers.get("Cache-Control", "")
    assert "max-age" not in cache_control and "immutable" not in cache_control, (response.status, dict(response.headers))
    assert cache_control == "no-store", (response.status, dict(response.headers))


def test_only_a_package_through_nginx_offload_is_cached(nginx_stack, package):
    client = nginx_stack.client
    for service_name in ("reg", "gap", "robot"):
        url = package_url(client, service_name, package)
        assert download(client, url, package).headers["Cache-Control"] == SUCCESS_CACHING
        part = client.get(url, headers={"Range": "bytes=0-99"})
        assert part.status == 206 and part.headers["Cache-Control"] == SUCCESS_CACHING
    # The program's check passed, the web server's fetch fails: the blob is gone from what nginx reads,
    # or the registry refuses the credentials (here: none, where it wants them). A client or proxy
    # must not keep those answers for a day.
    for service_name, status in (("gone", 404), ("gonelayout", 404), ("refused", 401)):
        r = client.get(package_url(client, service_name, package))
        assert_clean(r)
        assert r.status == status, (service_name, r.status, r.body[:300])
        assert_not_kept(r)
        assert "WWW-Authenticate" not in r.headers  # the registry's challenge is no question for the client
    # The registry's 416 for a range beyond the end, and nginx's own from a layout.
    r = client.get(package_url(client, "gap", package), headers={"Range": "bytes=%d-" % package.size})
    assert r.status == 416
    assert_not_kept(r)
    url = package_url(client, "reg", package)
    status, head, _ = servers.raw_request(nginx_stack.port, nginx_stack.client_ca,
                                          "GET %s HTTP/1.1\r\nRange: bytes=%d-" % (url, package.size))
    assert status == 416 and "max-age" not in head and "immutable" not in head, head


def test_the_programs_own_errors_on_downloads_are_never_kept(nginx_stack, package):
    client = nginx_stack.client
    url = package_url(client, "reg", package)
    for bad in (url.replace("token=", "token=x"), url.split("?")[0], "/reg/_packages/sha256:%s/x.zip?token=abc" % ("0" * 64)):
        for method in ("GET", "HEAD"):
            r = client.request(bad, method=method)
            assert 400 <= r.status < 500, (bad, r.status)
            assert r.headers.get("Cache-Control") == "no-store", (bad, method, r.headers)


def test_head_is_answered_by_the_program(nginx_stack, package):
    client = nginx_stack.client
    url = package_url(client, "reg", package)
    r = client.request(url, method="HEAD")
    assert_clean(r)
    assert r.status == 200 and r.headers["Content-Length"] == str(package.size) and r.body == b""


def test_the_internal_locations_are_not_reachable_from_outside(nginx_stack, package):
    client = nginx_stack.client
    for path in ("/_oci_offload/%s/blobs/%s" % (REPO, package.digest),
                 "/_oci_offload_auth/%s/blobs/%s" % (REPO, package.digest),
                 "/_oci_offload_token/%s/blobs/%s" % (REPO, package.digest),
                 "/_oci_offload/blobs/sha256/" + package.digest[7:]):
        r = client.get(path)
        assert r.status == 404, (path, r.status)
        assert package.data[:4096] not in r.body
    # A token is still needed: the program refuses a download URL without one, offload or not.
    assert client.get("/robot/_packages/%s/x.zip" % package.digest).status == 403


def test_without_the_internal_location_nginx_fails_closed(nginx_stack, workdir, tls, package):
    """Offload on, but nginx runs conf/nginx.conf without the include: the internal redirect lands on
    the program again (location /; REQUEST_URI is still the original, the token's query string is
    gone), which refuses it; nothing of the offload and no package byte reaches the client."""
    d = workdir / "offload-nginx-plain"
    d.mkdir()
    plain = servers.Nginx(str(d), nginx_stack.app.socket, tls).start()
    try:
        client = servers.Client(plain.url, tls[0])
        for service_name in ("reg", "robot", "gap"):
            r = client.get(package_url(client, service_name, package))
            assert_clean(r)
            assert r.status in (403, 404) and r.content_type == "application/json", (service_name, r.status, r.body[:300])
            assert package.data[:4096] not in r.body
    finally:
        plain.stop()


def test_range_requests_on_the_streamed_path_behind_nginx(nginx_stack, package):
    client, log = nginx_stack.client, nginx_stack.app.log
    url = package_url(client, "streamed", package)
    before = count(log, "streamed", package)
    download(client, url, package)
    assert_streamed(log, "streamed", package, before)

    first, last = 1234567, 1234567 + 99999
    part = client.get(url, headers={"Range": "bytes=%d-%d" % (first, last)})
    assert part.status == 206, (part.status, part.body[:300])
    assert part.body == package.data[first:last + 1]
    assert part.headers["Content-Range"] == "bytes %d-%d/%d" % (first, last, package.size)
    assert part.headers["Content-Length"] == str(last - first + 1)
    # The program itself cut the part out of the streamed blob (no offload on this service).
    entry = assert_streamed(log, "streamed", package, before + 1, status=206, body_bytes=last - first + 1)
    assert entry["bytes"] == last - first + 1

    # If-Range with the package's ETag gets the part, with another one the whole package.
    etag = part.headers["ETag"]
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).body == package.data[:10]
    whole = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"sha256:0000"'})
    assert whole.status == 200 and whole.body == package.data

    beyond = client.get(url, headers={"Range": "bytes=%d-" % package.size})
    assert beyond.status == 416, (beyond.status, beyond.body[:300])
    assert beyond.headers["Content-Range"] == "bytes */%d" % package.size
    assert package.data[:16] not in beyond.body


def test_sendfile_behind_nginx_is_streamed_and_warned(nginx_stack, package):
    client, log = nginx_stack.client, nginx_stack.app.log
    url = package_url(client, "gapsendfile", package)
    before = count(log, "gapsendfile", package)
    download(client, url, package)
    assert_streamed(log, "gapsendfile", package, before)
    expected = 'download_offload = "x-sendfile" needs lighttpd or Apache in front, but the web server is "nginx/'
    assert [w for w in warnings(log()) if w.startswith(expected)], warnings(log())


# ---------------------------------------------------------------- lighttpd

@pytest.fixture(scope="module")
def lighttpd_server(workdir, tls, basic_registry, layout):
    d = workdir / "offload-lighttpd"
    d.mkdir()
    config = str(d / "config.hcl")
    with open(config, "w") as f:
        f.write(service("gap", "file://" + layout, SENDFILE) +
                service("robot", basic_registry.url, ACCEL + CREDENTIALS) +
                'server {\n  query_string_secret = "%s"\n  worker_threads = 4\n%s}\n' % (servers.SECRET, JSON_LOG))
    os.chmod(config, 0o644)
    server = servers.Lighttpd(str(d), config, tls)
    with open(server.conf) as f:
        text = f.read()
    with open(server.conf, "w") as f:
        f.write(servers.substitute(text, {
            '#"x-sendfile"         => "enable",': '"x-sendfile"         => "enable",',
            '#"x-sendfile-docroot" => ( "/srv/layout" ),': '"x-sendfile-docroot" => ( "%s" ),' % layout,
            "^/(mirror|registry|modules)(/|$)": "^/(gap|robot)(/|$)",
        }))
    server.start()
    server.client = servers.Client(server.url, tls[0])
    yield server
    server.stop()


def test_lighttpd_sends_a_layout_file(lighttpd_server, package):
    client, log = lighttpd_server.client, lighttpd_server.log
    url = package_url(client, "gap", package)
    before = count(log, "gap", package)
    download(client, url, package)
    assert_offloaded(log, "gap", package, before)
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert_clean(part)
    assert part.status == 206 and part.body == package.data[10:20]


def test_accel_redirect_behind_lighttpd_is_streamed_and_warned(lighttpd_server, package):
    """x-accel-redirect is for nginx: behind lighttpd the header (with the registry's credentials) would
    reach the client, so the program streams the download itself."""
    client, log = lighttpd_server.client, lighttpd_server.log
    url = package_url(client, "robot", package)
    before = count(log, "robot", package)
    download(client, url, package)
    assert_streamed(log, "robot", package, before)
    expected = 'download_offload = "x-accel-redirect" needs nginx in front, but the web server is "lighttpd/'
    assert [w for w in warnings(log()) if w.startswith(expected)], warnings(log())


# ---------------------------------------------------------------- Apache + mod_fcgid + mod_xsendfile

@pytest.fixture(scope="module")
def apache_server(workdir, tls, layout):
    d = workdir / "offload-apache"
    d.mkdir()
    config = str(d / "config.hcl")
    with open(config, "w") as f:
        f.write(service("mirror", "file://" + layout, SENDFILE) +
                'server {\n  query_string_secret = "%s"\n  worker_threads = 4\n%s}\n' % (servers.SECRET, JSON_LOG))
    os.chmod(config, 0o644)
    server = servers.Apache(str(d), config, tls)
    with open(server.conf) as f:
        text = f.read()
    module = "/usr/lib/apache2/modules/mod_xsendfile.so"
    assert os.path.exists(module), "mod_xsendfile is missing: scripts/install-deps.sh installs libapache2-mod-xsendfile"
    with open(server.conf, "w") as f:
        f.write(servers.substitute(text, {
            "LoadModule fcgid_module": "LoadModule xsendfile_module %s\nLoadModule fcgid_module" % module,
            "#XSendFile On": "XSendFile On",
            "#XSendFilePath /srv/layout": "XSendFilePath " + layout,
        }))
    server.start()
    server.client = servers.Client(server.url, tls[0])
    yield server
    server.stop()


def test_apache_sends_a_layout_file(apache_server, package):
    client, log = apache_server.client, apache_server.log
    url = package_url(client, "mirror", package)
    before = count(log, "mirror", package)
    r = download(client, url, package)
    assert r.headers["Content-Type"] == "application/zip"
    assert_offloaded(log, "mirror", package, before)
    part = client.get(url, headers={"Range": "bytes=%d-" % (package.size - 100)})
    assert_clean(part)
    assert part.status == 206 and part.body == package.data[-100:]
    assert_offloaded(log, "mirror", package, before + 1)
