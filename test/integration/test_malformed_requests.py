"""Bad input is never a 5xx (issue 18): about 2,800 malformed requests, generated deterministically, sent
raw over TLS to the real pool behind the shipped nginx configuration, over a real docker-registry.

Every route (the three services' protocols, their catalogue pages, a proxied download, discovery,
/healthz, /metrics) gets every mutation: the method, the path (bad escapes, dot segments, control
bytes, overlong), the query, and the headers (Authorization with control characters, bad base64,
huge values, unknown schemes; Range, If-None-Match and Host garbage). No answer may be a 5xx (nginx's
own 400 for what it refuses is fine); a 5xx fails the test naming the request that caused it. The
pool must still answer afterwards, with the same workers, and its log must show no crash.
"""

import base64
import concurrent.futures
import os
import re
import socket
import ssl
import time
import urllib.parse

import pytest

import ocipush
import servers
from gpgkeys import GpgKey

PROVIDERS = "terraform-providers/registry.terraform.io"
MODULES = "terraform-modules"


def services(registry_url, key_file):
    return ('provider_mirror "mirror" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
            '  proxy_packages = true\n}\n'
            'provider_registry "registry" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
            '  signing_key_file = "%s"\n  proxy_packages = true\n}\n'
            'module_registry "modules" {\n  origin_url = "%s"\n  name_prefix = "terraform-modules"\n'
            '  proxy_packages = true\n}\n' % (registry_url, registry_url, key_file, registry_url))


@pytest.fixture(scope="module")
def stack(workdir, tls):
    d = str(workdir / "malformed")
    os.makedirs(os.path.join(d, "registry"))
    registry = servers.DockerRegistry(os.path.join(d, "registry")).start()
    key = GpgKey(d, "operator")
    push = ocipush.Registry(registry.url)
    ocipush.push_opentofu_release(push, PROVIDERS + "/acme/widget", "1.0.0",
                                  {p: ocipush.provider_zip("widget", seed=p) for p in ("linux_amd64", "darwin_arm64")})
    ocipush.push_module(push, MODULES + "/acme/net/aws", "1.0.0", ocipush.provider_zip("main.tf"))
    s = servers.NginxStack(os.path.join(d, "app"), services(registry.url, key.secret_file), tls, workers=2, threads=4,
                           extra='  metrics = true\n')
    yield s
    s.stop()
    registry.stop()
    key.stop()


def routes(client):
    """One target of every kind, as a client would send it: paths and real sealed tokens."""
    version = client.get("/mirror/registry.terraform.io/acme/widget/1.0.0.json")
    assert version.status == 200, version.body
    base = client.base_url + "/mirror/registry.terraform.io/acme/widget/1.0.0.json"
    package = urllib.parse.urlsplit(urllib.parse.urljoin(base, version.json()["archives"]["linux_amd64"]["url"]))
    module = client.get("/modules/acme/net/aws/1.0.0/download")
    assert module.status == 204, module.body
    module_zip = urllib.parse.urlsplit(urllib.parse.urljoin(base, module.headers["X-Terraform-Get"]))
    assert client.get(package.path + "?" + package.query).status == 200
    assert client.get(module_zip.path + "?" + module_zip.query).status == 200
    return [
        ("/mirror/", ""), ("/registry/", ""), ("/modules/", ""),
        ("/mirror/_catalog/registry.terraform.io/acme/widget/", ""),
        ("/mirror/registry.terraform.io/acme/widget/index.json", ""),
        ("/mirror/registry.terraform.io/acme/widget/1.0.0.json", ""),
        (package.path, package.query),
        ("/registry/acme/widget/versions", ""),
        ("/registry/acme/widget/1.0.0/download/linux/amd64", ""),
        ("/registry/acme/widget/1.0.0/SHA256SUMS", ""),
        ("/modules/acme/net/aws/versions", ""),
        (module_zip.path, module_zip.query),
        ("/.well-known/terraform.json", ""),
        ("/healthz", ""), ("/metrics", ""),
    ]


def b64(text):
    return base64.b64encode(text).decode()


# ---------------------------------------------------------------- the mutations: (method, path, query, headers)

def method(m):
    return lambda req: (m, req[1], req[2], req[3])


def path(f):
    return lambda req: (req[0], f(req[1]), req[2], req[3])


def query(q):
    return lambda req: (req[0], req[1], q, req[3])


def header(name, value):
    return lambda req: (req[0], req[1], req[2], req[3] + [(name, value)])


def both(*mutations):
    def apply(req):
        for m in mutations:
            req = m(req)
        return req
    return apply


def insert(text):
    """`text` in the middle of the path (after its first segment)."""
    def f(p):
        cut = p.find("/", 1)
        return p + text if cut < 0 else p[:cut] + text + p[cut:]
    return f


METHODS = ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "FOO", "get", "G\x01T", "HEAD", "BREW"]

PATHS = [
    lambda p: p + "%", lambda p: p + "%G1", lambda p: p + "%2", lambda p: p + "%00", lambda p: p + "%zz",
    insert("/%2F"), insert("/%2f%2F"), insert("/%5C"), insert("/a%2Fb"), insert("/%00"), insert("/%0a"),
    insert("/%0d%0a"), insert("/%7f"), insert("/%ff"), insert("/%c0%af"),
    insert("/."), insert("/.."), insert("/%2e"), insert("/%2e%2e"), insert("/.%2e"), insert("/%2E%2e/%2e%2E"),
    lambda p: p + "/../../../etc/passwd", lambda p: "/.." + p, lambda p: p + "/./",
    insert("/\x01"), insert("/\x7f"), insert("/\x1b[31m"), insert("/\xff\xfe"), insert("/\t"), insert("\\"),
    insert("//"), lambda p: p + "//", lambda p: "//" + p.lstrip("/"), lambda p: p.rstrip("/") + "/" * 50,
    lambda p: p + "a" * 2100, lambda p: p + "/" + "x" * 5000, lambda p: p + ("/%61" * 800),
    lambda p: "http://tf.example.com" + p, lambda p: "*", lambda p: "x" + p, lambda p: p + "#frag",
    lambda p: p + ";jsessionid=1", lambda p: p.upper(), lambda p: p + "%%32%46",
]

TOKEN_QUERIES = [
    "token=", "token", "token=x", "token=%", "token=%G1", "token=" + "A" * 3000, "token=\x01", "token=a&token=b",
    "&&&", "=", "%00=1", "token=" + "_" * 64, "a=" + "b" * 6000, "token=eyJ%2F%2B", "token=..%2F..",
]

AUTHORIZATIONS = [
    "Basic dXNlcjpwYXNz\x01", "Basic \x7f", "Bearer a\x01b", "Bearer \x1b[0m", "Bearer tok\tx", "Basic\x0bx",
    "Bearer t\xc3\xa9", "Basic \xff\xfe", "Bearer a\x00b",
    "Basic !!!!", "Basic ====", "Basic dXNlcg==", "Basic dXNlcjpwYXNz=", "Basic dXNlcjpwYXN", "Basic " + b64(b"\x00:x"),
    "Basic " + b64(b"user:pa\nss"), "Basic " + b64(b"user:\x7f"), "Basic " + "A" * 7000, "Basic %3D%3D",
    "Basic dXNlcjpwYXNz dXNlcjpwYXNz", "Basic", "Basic ", "Bearer", "Bearer a b", "Bearer a,b=c", "Bearer \"quoted\"",
    "Bearer " + "a" * 7900, "Bearer " + "a" * 20000, "Bearer ===", "Bearer a==b",
    "Digest username=\"u\", realm=\"r\", nonce=\"n\"", "Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkqhkiC9xIBAgIG",
    "NTLM TlRMTVNTUAABAAAA", "AWS4-HMAC-SHA256 Credential=x", "Token abc", "Bearer, Basic", "(bad) x", "=abc",
    "\x01Bearer x", " ", "basic " + b64(b"user:pass"), "BEARER token", "Bearer " + "." * 10, "Basic " + b64(b":"),
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
]

RANGES = [
    "bytes=", "bytes=-", "bytes=5-1", "bytes=99999999999999999999-", "bytes=-99999999999999999999", "items=0-1",
    "bytes=0-1," * 200, "bytes=abc", "bytes= 0-1", "bytes=0-0,-1", "bytes=--1", "bytes=1-2-3", "bytes=\x01",
    "bytes=0-" + "9" * 100, "bytes=18446744073709551615-18446744073709551616", "bytes=0x10-0x20", "\xff", "bytes=-0",
]

IF_NONE_MATCH = [
    "*", "\"", "W/", "W/\"", "\"\"", "\"" + "a" * 7000 + "\"", ",,,,", "\"a\", " * 500, "\x01", "W/W/W/\"x\"",
    "\"unterminated", "*, *", "\xff\xfe", "null",
]

HOSTS = [
    "", "a b", "h" * 5000, "[::1", "[::1]:99999", "tf.example.com:abc", "\x01", "../../etc", "tf.example.com/x",
    "tf.example.com@evil", "%2e%2e", "-", ":443", "tf.example.com:0", "\xff",
]

OTHER_HEADERS = [
    ("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Proto", "https,http" * 100), ("X-Request-Id", "\x01" * 10),
    ("X-Request-Id", "r" * 5000), ("Content-Length", "-1"), ("Content-Length", "abc"), ("Transfer-Encoding", "x"),
    ("Accept", "\x01"), ("Accept-Encoding", "gzip;q=\x01"), ("Cookie", "a=" + "b" * 6000), ("X-Accel-Redirect", "/x"),
    ("X-Registry-Authorization", "Bearer x"), ("Expect", "100-continue"),
]


def mutations():
    out = [method(m) for m in METHODS] + [path(f) for f in PATHS] + [query(q) for q in TOKEN_QUERIES]
    out += [header("Authorization", a) for a in AUTHORIZATIONS]
    out += [header("Range", r) for r in RANGES] + [header("If-None-Match", i) for i in IF_NONE_MATCH]
    out += [header("Host", h) for h in HOSTS] + [header(n, v) for n, v in OTHER_HEADERS]
    # A few together: credentials with the conditional and range headers a client sends.
    out += [both(header("Authorization", AUTHORIZATIONS[i]), header("Range", RANGES[i % len(RANGES)]),
                 header("If-None-Match", IF_NONE_MATCH[i % len(IF_NONE_MATCH)])) for i in range(0, 40, 4)]
    out += [both(method("HEAD"), header("Authorization", a)) for a in AUTHORIZATIONS[:8]]
    return out


def encode(req):
    m, p, q, headers = req
    target = p + ("?" + q if q else "")
    names = {n.lower() for n, _ in headers}
    lines = [m + " " + target + " HTTP/1.1"]
    if "host" not in names:
        lines.append("Host: 127.0.0.1")
    lines += ["%s: %s" % (n, v) for n, v in headers] + ["Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(port, context, data):
    """The status of nginx's answer to `data`, or None when it closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(data)
            answer = b""
            try:
                while True:  # to the end: "Connection: close"
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except (ConnectionResetError, ssl.SSLError):
                pass
    while re.match(rb"HTTP/1\.[01] 1\d\d ", answer):  # interim answers (100 Continue) come before the final one
        answer = answer.partition(b"\r\n\r\n")[2]
    found = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return (int(found.group(1)) if found else None), answer


def acceptable(req, status, answer):
    """A 4xx (or a success: a mutation the protocol ignores), never a 5xx; the one exception is
    nginx's own 501 for a transfer coding it does not know (RFC 9112 section 6.1: it SHOULD say so),
    answered before the program is reached (its HTML page, not the program's JSON)."""
    if status is None:
        return False
    if status < 500:
        return True
    own_page = b"Content-Type: text/html" in answer and b"<center>nginx" in answer
    return status == 501 and own_page and any(n.lower() == "transfer-encoding" for n, _ in req[3])


def test_no_malformed_request_is_answered_with_a_5xx(stack, tls):
    requests = [m((base_method, p, q, [])) for p, q in routes(stack.client) for base_method in ("GET",)
                for m in mutations()]
    assert 2700 <= len(requests) <= 3000, len(requests)
    workers_before = sorted(stack.app.worker_pids())
    context = ssl.create_default_context(cafile=tls[0])
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda r: send(stack.port, context, encode(r)), requests))
    elapsed = time.monotonic() - started
    statuses = [status for status, _ in answers]
    failures = ["%s -> %s" % (encode(r)[:300], a[0]) for r, a in zip(requests, answers) if not acceptable(r, *a)]
    assert not failures, "%d of %d requests got a 5xx or no answer, e.g.:\n%s" % (
        len(failures), len(requests), "\n".join(failures[:20]))
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    print("%d malformed requests in %.1f s: %s" % (len(requests), elapsed, sorted(counts.items())))
    assert elapsed < 45, elapsed
    # Some reached the program (its own 4xx) and some were refused by nginx: both kinds were exercised.
    assert counts.get(400, 0) > 500 and counts.get(404, 0) > 0 and counts.get(401, 0) > 0, counts
    # The pool is healthy: the same workers answer, and nothing crashed.
    assert stack.client.get("/healthz").status == 200
    assert stack.client.get("/mirror/registry.terraform.io/acme/widget/index.json").status == 200
    assert sorted(stack.app.worker_pids()) == workers_before
    log = stack.app.log()
    for crash in ("signal", "starting a new one", "worker failed", "terminate called"):
        assert crash not in log, crash
    assert not re.search(r" [A-Za-z\x01]+ \S* 5\d\d \d+B ", log), "the access log shows a 5xx"
