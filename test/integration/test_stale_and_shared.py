"""Shared registry calls, stale-while-revalidate and stale-if-error (issue 12, "Metadata" and "Tests").

Real components: Debian's docker-registry with its access log on (the calls are counted from the registry's
own log), the worker pool behind nginx, gpg for the provider registry's signing key, and for the token case
docker-registry's bearer-token auth with the tests' token service. Between the application and the registry
sits faults.FaultProxy, standing in for what cannot be had here for real: a slow network (responses held at
a gate), a registry answering 5xx or 401/403, one that never answers, a dead host. Tests wait on conditions
(a call held at the gate, connections accepted by the pool, a TTL run out), never on sleeps; the one fixed
delay is injected (a token service that takes 0.3 s to answer).

Stacks (one worker process each, so the calls of a burst meet in one process):
- A: tags_cache_ttl 2s, stale_while_revalidate 0, stale_if_error 1h (default), request_timeout 2s, 16 threads;
  a provider_mirror and a provider_registry (own signing key), both through proxy A;
- B: tags_cache_ttl 1s, stale_while_revalidate 30s (default), stale_if_error 0; a provider_mirror;
- Z: tags_cache_ttl 1s, stale_while_revalidate 0, stale_if_error 0; a provider_mirror;
- T: a provider_mirror with credentials on a token-protected docker-registry, its token service behind a proxy.
Every test uses repositories of its own, so no test sees another's cache entries or remembered failures.

Failing on purpose (product bugs, src/server/release_reader.cpp):
- provider_registry versions: the tagged manifests summaries() reads (ReleaseReader::manifests) are neither
  shared by a burst (16 clients: 16 GETs of each version's manifest) nor covered by the remembered failure
  (a stopped registry is asked on every request);
- a version just published: its platform manifests (by digest) are fetched once per client of a burst;
- a tag the registry answered 404 for keeps its cached tag -> digest, and a later outage serves the deleted
  release again (200) from it;
- stale_if_error = "0" still serves the cached answer on an outage within stale_while_revalidate past the TTL.
"""

import concurrent.futures
import os
import threading
import time

import pytest

import faults
import ocipush
import servers
from faults import AppLog, FaultProxy, RecordingRegistry, calls_of, per_resource, under, wait_past
from gpgkeys import GpgKey
from registry_tokens import ISSUER, SERVICE, Realm, TokenIssuer

PREFIX = "terraform-providers/registry.terraform.io"
BURST = 16
TTL_A, TTL_B, TTL_Z = 2.0, 1.0, 1.0

A_SERVER = ('  tags_cache_ttl = "2s"\n  stale_while_revalidate = "0"\n'
            '  connect_timeout = "1s"\n  request_timeout = "2s"\n')
B_SERVER = '  tags_cache_ttl = "1s"\n  stale_if_error = "0"\n  connect_timeout = "1s"\n  request_timeout = "5s"\n'
Z_SERVER = ('  tags_cache_ttl = "1s"\n  stale_while_revalidate = "0"\n  stale_if_error = "0"\n'
            '  connect_timeout = "1s"\n  request_timeout = "2s"\n')

A_REPOS = ["burst-index", "burst-version", "burst-download", "burst-versions", "burst-new",
           "sie-503", "sie-500", "sie-timeout", "sie-reset", "refused-401", "refused-403",
           "gone", "gone-later", "down-mirror", "down-registry"]
TWO_VERSIONS = {"gone", "gone-later"}   # 1.0.0 and 1.1.0 published at the start
B_REPOS = ["swr-index", "swr-version", "swr-off"]
Z_REPOS = ["off-503", "off-timeout", "off-reset"]


def repo(name):
    return PREFIX + "/acme/" + name


def mirror_index(name):
    return "/mirror/registry.terraform.io/acme/%s/index.json" % name


def mirror_version(name, version="1.0.0"):
    return "/mirror/registry.terraform.io/acme/%s/%s.json" % (name, version)


def registry_versions(name):
    return "/registry/acme/%s/versions" % name


def registry_download(name, version="1.0.0"):
    return "/registry/acme/%s/%s/download/linux/amd64" % (name, version)


def documents(name, version="1.0.0", registry=True):
    """The listing and download documents of one provider: {label: path}."""
    docs = {"mirror index.json": mirror_index(name), "mirror %s.json" % version: mirror_version(name, version)}
    if registry:
        docs.update({"registry versions": registry_versions(name),
                     "registry download %s" % version: registry_download(name, version)})
    return docs


def publish(push, name, version, seed=""):
    """A one-platform release; returns the zip's digest."""
    zip_bytes = ocipush.provider_zip("terraform-provider-%s_v%s" % (name, version), seed=seed)
    return ocipush.push_opentofu_release(push, repo(name), version, {"linux_amd64": zip_bytes})["linux_amd64"][0]


def services(origin, key_file=None):
    text = 'provider_mirror "mirror" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n}\n' % origin
    if key_file:
        text += ('provider_registry "registry" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                 '  signing_key_file = "%s"\n}\n' % (origin, key_file))
    return text


def get_all(client, paths):
    """GETs every path at once (one thread each); {path: Response}."""
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        futures = {p: pool.submit(client.get, p) for p in paths}
        return {p: f.result() for p, f in futures.items()}


class Env:
    pass


@pytest.fixture(scope="module")
def env(workdir, tls):
    e = Env()
    d = str(workdir / "stale")
    os.makedirs(d)
    stoppers = []
    try:
        os.makedirs(os.path.join(d, "registry"))
        e.registry = RecordingRegistry(os.path.join(d, "registry")).start()
        stoppers.append(e.registry.stop)
        e.push = ocipush.Registry(e.registry.url)
        e.key = GpgKey(d, "operator")
        stoppers.append(e.key.stop)
        e.proxy_a, e.proxy_b, e.proxy_z = (FaultProxy(e.registry.url) for _ in range(3))
        stoppers += [e.proxy_a.stop, e.proxy_b.stop, e.proxy_z.stop]
        e.digests = {}
        for name in A_REPOS + B_REPOS + Z_REPOS:
            e.digests[(name, "1.0.0")] = publish(e.push, name, "1.0.0")
            if name in TWO_VERSIONS:
                e.digests[(name, "1.1.0")] = publish(e.push, name, "1.1.0")
        e.a = servers.NginxStack(os.path.join(d, "a"), services(e.proxy_a.url, e.key.secret_file), tls,
                                 workers=1, threads=BURST, extra=A_SERVER)
        stoppers.append(e.a.stop)
        e.b = servers.NginxStack(os.path.join(d, "b"), services(e.proxy_b.url), tls, workers=1, threads=8,
                                 extra=B_SERVER)
        stoppers.append(e.b.stop)
        e.z = servers.NginxStack(os.path.join(d, "z"), services(e.proxy_z.url), tls, workers=1, threads=8,
                                 extra=Z_SERVER)
        stoppers.append(e.z.stop)

        # Warm every cache: what each test later expects to be served (or not) when the registry fails.
        e.warm = {}
        wanted = []
        for name in A_REPOS:
            wanted += [(e.a, p) for p in documents(name).values()]
            if name in TWO_VERSIONS:
                wanted += [(e.a, p) for p in documents(name, "1.1.0").values()]
        for name in B_REPOS:
            wanted += [(e.b, p) for p in documents(name, registry=False).values()]
        for name in Z_REPOS:
            wanted += [(e.z, p) for p in documents(name, registry=False).values()]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda sp: (sp, sp[0].client.get(sp[1])), wanted))
        for (stack, path), r in results:
            assert r.status == 200, (path, r.status, r.body)
            e.warm[path] = r.body
        e.warmed = time.monotonic()
        yield e
    finally:
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:  # noqa: BLE001 - stop the rest
                pass


def expired(env, ttl):
    """Waits until every answer warmed by the fixture is past its TTL."""
    wait_past(env.warmed + ttl + 0.1)


# ---------------------------------------------------------------- 1. coalescing

def burst(stack, proxy, registry, repository, path, n=BURST):
    """n clients ask `path` at the same moment. The registry's answers for `repository` are held at the
    proxy until all n requests are inside the worker pool (accepted FastCGI connections), so every request
    needing a registry answer needs it while the first call for it is in flight.
    Returns (responses, registry calls for the repository, access lines of the n requests)."""
    mark = registry.mark()
    log = AppLog(stack.app)
    gate = proxy.gate(under(repository))
    start = threading.Barrier(n)
    responses = [None] * n

    def client(i):
        start.wait()
        responses[i] = stack.client.get(path)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    try:
        for t in threads:
            t.start()
        servers.wait_until(lambda: gate.held >= 1 and faults.accepted_connections(stack.app.socket) >= n,
                           "the first registry call held and %d requests inside the pool" % n)
    finally:
        proxy.ungate(gate)
        for t in threads:
            t.join(30)
    calls = calls_of(registry.calls_since(mark), repository)
    return responses, calls, log.wait_access(path, n)


def _changed_index(env, name):
    """A new version published after the cache was warmed: the burst must see it."""
    publish(env.push, name, "1.1.0")
    return lambda r: set(r.json()["versions"]) == {"1.0.0", "1.1.0"}


def _changed_versions(env, name):
    publish(env.push, name, "1.1.0")
    return lambda r: sorted(v["version"] for v in r.json()["versions"]) == ["1.0.0", "1.1.0"]


def _same(env, path):
    return lambda r: r.body == env.warm[path]


def _new_version_document(env, name):
    digest = publish(env.push, name, "1.1.0")
    return lambda r: r.json()["archives"]["linux_amd64"]["hashes"][-1] == "zh:" + digest[len("sha256:"):]


BURSTS = {
    # label: (repository name, path, what the burst must get, given env)
    "mirror index.json, a version published meanwhile":
        ("burst-index", mirror_index("burst-index"), lambda env: _changed_index(env, "burst-index")),
    "mirror 1.0.0.json":
        ("burst-version", mirror_version("burst-version"), lambda env: _same(env, mirror_version("burst-version"))),
    "registry download document":
        ("burst-download", registry_download("burst-download"),
         lambda env: _same(env, registry_download("burst-download"))),
    "registry versions, a version published meanwhile":
        ("burst-versions", registry_versions("burst-versions"), lambda env: _changed_versions(env, "burst-versions")),
    "mirror 1.1.0.json of a version just published, nothing cached for it":
        ("burst-new", mirror_version("burst-new", "1.1.0"), lambda env: _new_version_document(env, "burst-new")),
}


@pytest.mark.parametrize("case", list(BURSTS))
def test_a_burst_of_clients_makes_one_registry_call_per_resource(env, case):
    """BURST clients at once on an expired cache (or, for a new version, an empty one): one worker process
    makes each registry call once, the others wait for it; every client gets the current content."""
    name, path, expectation = BURSTS[case]
    good = expectation(env)
    expired(env, TTL_A)
    responses, calls, lines = burst(env.a, env.proxy_a, env.registry, repo(name), path)

    assert [r.status for r in responses] == [200] * BURST, [(r.status, r.body[:200]) for r in responses]
    assert all(good(r) for r in responses), responses[0].body
    assert len({r.body for r in responses}) == 1
    counts = per_resource(calls)
    assert counts, "the burst made no registry call at all: the cache was not expired"
    # Without sharing every client makes every call: BURST of each.
    assert max(counts.values()) <= 2, "registry calls per resource for %d clients: %s" % (BURST, counts)
    # The access log tells the same story: the calls are the requests' registry=, the waiters say shared=.
    assert sum(line.registry for line in lines) == len(calls), lines
    assert sum(1 for line in lines if line.shared) >= 1, lines


@pytest.fixture(scope="module")
def token_env(workdir, tls):
    """docker-registry with bearer-token auth; its token service (registry_tokens.Realm) behind a proxy, which
    is the realm the registry names; the application with credentials for the token service."""
    e = Env()
    d = str(workdir / "stale-token")
    os.makedirs(d)
    stoppers = []
    try:
        e.issuer = TokenIssuer(d)
        e.realm = Realm(e.issuer)
        stoppers.append(e.realm.stop)
        e.token_proxy = FaultProxy(e.realm.url[:-len("/token")])
        stoppers.append(e.token_proxy.stop)
        e.registry = RecordingRegistry(d, auth=["auth:", "  token:", "    realm: %s/token" % e.token_proxy.url,
                                                "    service: " + SERVICE, "    issuer: " + ISSUER,
                                                "    rootcertbundle: " + e.issuer.cert]).start()
        stoppers.append(e.registry.stop)
        e.name = "tokened"
        e.versions = ["1.0.%d" % i for i in range(BURST)]
        push = ocipush.Registry(e.registry.url, authorization="Bearer " + e.issuer.mint(repo(e.name), ("pull", "push")))
        e.digests = {v: publish(push, e.name, v) for v in e.versions}
        e.stack = servers.NginxStack(
            os.path.join(d, "app"),
            'provider_mirror "mirror" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
            '  origin_credentials {\n    username = "robot"\n    password = "pw"\n  }\n}\n' % e.registry.url,
            tls, workers=1, threads=BURST)
        stoppers.append(e.stack.stop)
        yield e
    finally:
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:  # noqa: BLE001
                pass


def test_a_burst_needing_a_token_makes_one_token_request(token_env):
    """16 requests for 16 different versions (16 different registry calls, none shared) all meet the
    registry's bearer challenge at once: one token request serves them all."""
    e = token_env
    repository = repo(e.name)
    mark = e.registry.mark()
    log = AppLog(e.stack.app)
    realm_before = e.realm.requests
    token_path = lambda m, p: p.startswith("/token")
    # A slow token service: its answer is held until every request has had its 401 from the registry.
    gate = e.token_proxy.gate(token_path, min_hold=0.3)
    paths = [mirror_version(e.name, v) for v in e.versions]
    challenged = lambda: len(calls_of(e.registry.calls_after(mark), repository, "manifests", 401)) >= BURST
    with concurrent.futures.ThreadPoolExecutor(BURST) as pool:
        futures = [pool.submit(e.stack.client.get, p) for p in paths]
        try:
            servers.wait_until(lambda: gate.held >= 1 and challenged(),
                               "a token request held and %d requests challenged by the registry" % BURST)
        finally:
            e.token_proxy.ungate(gate)
        responses = [f.result() for f in futures]

    for v, r in zip(e.versions, responses):
        assert r.status == 200, (v, r.status, r.body)
        assert r.json()["archives"]["linux_amd64"]["hashes"][-1] == "zh:" + e.digests[v][len("sha256:"):]
    assert len(e.token_proxy.received(token_path)) == 1, e.token_proxy.received(token_path)
    assert e.realm.requests - realm_before == 1
    lines = [log.wait_access(p)[0] for p in paths]
    assert sum(1 for line in lines if line.shared) >= 1, lines


# ---------------------------------------------------------------- 2. stale-while-revalidate

def _request_in_thread(client, path):
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", client.get(path)))
    t.start()
    return t, box


def _stale_while_revalidate(env, name, path, what, change):
    """One request (A) refreshes an expired answer, its registry call held at the proxy; a second (B),
    arriving meanwhile, is answered with the cached content before A's refresh has returned; then the new
    content is served."""
    old = env.warm[path]
    is_new = change()
    expired(env, TTL_B)
    mark = env.registry.mark()
    log = AppLog(env.b.app)
    gate = env.proxy_b.gate(under(repo(name), what))
    try:
        a, a_box = _request_in_thread(env.b.client, path)
        servers.wait_until(lambda: gate.held >= 1, "the refresh's registry call to reach the registry")
        b, b_box = _request_in_thread(env.b.client, path)
        b.join(10)
        # Ordering, not timing: B has its answer while A's refresh is still held at the gate.
        assert "r" not in a_box, "the refreshing request returned before the one arriving during its refresh"
        assert not b.is_alive(), "the request arriving during the refresh waited for it"
        assert not gate.is_open and a.is_alive()
    finally:
        env.proxy_b.ungate(gate)
    a.join(30)
    assert b_box["r"].status == 200 and b_box["r"].body == old, b_box["r"].body
    assert a_box["r"].status == 200 and is_new(a_box["r"]), a_box["r"].body
    c = env.b.client.get(path)
    assert c.status == 200 and is_new(c), c.body

    lines = log.wait_access(path, 3)  # in the order they were answered: B, A, C
    assert lines[0].stale >= 1 and lines[0].registry == 0, lines
    assert lines[1].registry >= 1 and lines[1].stale == 0, lines
    assert lines[2].registry == 0 and lines[2].stale == 0, lines
    calls = calls_of(env.registry.calls_since(mark), repo(name), what)
    return calls


def test_stale_while_revalidate_serves_the_cached_listing_while_one_request_refreshes_it(env):
    name = "swr-index"

    def change():
        publish(env.push, name, "1.1.0")
        return lambda r: set(r.json()["versions"]) == {"1.0.0", "1.1.0"}

    calls = _stale_while_revalidate(env, name, mirror_index(name), "tags", change)
    assert len(calls) == 1, calls  # A's refresh only


def test_stale_while_revalidate_serves_the_cached_version_document_while_a_moved_tag_is_read(env):
    name = "swr-version"

    def change():
        digest = publish(env.push, name, "1.0.0", seed="republished")  # the tag now names another release
        return lambda r: r.json()["archives"]["linux_amd64"]["hashes"][-1] == "zh:" + digest[len("sha256:"):]

    calls = _stale_while_revalidate(env, name, mirror_version(name), "manifests", change)
    by_tag = [c for c in calls if c[1].endswith("/manifests/1.0.0")]
    assert len(by_tag) == 1, calls


# ---------------------------------------------------------------- 3. stale-if-error

OUTAGES = {
    "503": ("status", 503),
    "500": ("status", 500),
    "timeout": ("hang",),
    "connection reset": ("reset",),
}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_failing_registry_is_covered_by_the_cached_documents(env, outage):
    name = "sie-" + {"503": "503", "500": "500", "timeout": "timeout", "connection reset": "reset"}[outage]
    docs = documents(name)
    expired(env, TTL_A)
    mark = env.registry.mark()
    log = AppLog(env.a.app)
    before = len(env.proxy_a.received(under(repo(name))))
    fault = env.proxy_a.fault(under(repo(name)), *OUTAGES[outage])
    try:
        responses = get_all(env.a.client, list(docs.values()))
    finally:
        env.proxy_a.remove(fault)
    for label, path in docs.items():
        r = responses[path]
        assert r.status == 200, (label, r.status, r.body)
        assert r.body == env.warm[path], label
    # The registry was asked (and failed): the answers are stale ones, not fresh cache hits.
    assert len(env.proxy_a.received(under(repo(name)))) > before
    assert calls_of(env.registry.calls_since(mark), repo(name)) == []  # nothing got past the fault
    text = log.text()
    assert "serving the cached tag list of %s while the registry fails" % repo(name) in text, text
    assert "serving the cached manifest of %s:1.0.0 while the registry fails" % repo(name) in text, text
    for label, path in docs.items():
        line = log.wait_access(path)[0]
        assert line.status == 200 and line.stale >= 1, (label, line)


@pytest.mark.parametrize("status", [401, 403])
def test_a_registry_refusal_is_never_masked_by_the_cache(env, status):
    name = "refused-%d" % status
    docs = documents(name)
    expired(env, TTL_A)
    log = AppLog(env.a.app)
    before = len(env.proxy_a.received(under(repo(name))))
    fault = env.proxy_a.fault(under(repo(name)), "status", status, {"WWW-Authenticate": 'Basic realm="test"'})
    try:
        responses = get_all(env.a.client, list(docs.values()))
    finally:
        env.proxy_a.remove(fault)
    for label, path in docs.items():
        r = responses[path]
        # The program answers any registry refusal (401 or 403) with 401 "check the credentials".
        assert r.status == 401, (label, r.status, r.body)
        assert r.body != env.warm[path]
        assert log.wait_access(path)[0].stale == 0
    assert "serving the cached" not in log.text()
    assert len(env.proxy_a.received(under(repo(name)))) - before >= len(docs)  # each was refused by the registry


def _delete(env, name, version):
    digest = env.push.manifest_digest(repo(name), version)
    status = env.push._request("DELETE", "/v2/%s/manifests/%s" % (repo(name), digest)).status
    assert status == 202


def test_a_tag_the_registry_says_is_gone_is_gone_for_clients(env):
    name = "gone"
    _delete(env, name, "1.1.0")  # docker-registry untags what it deletes: the tag 1.1.0 is gone
    expired(env, TTL_A)
    log = AppLog(env.a.app)
    r = env.a.client.get(mirror_index(name))
    assert r.status == 200 and r.json() == {"versions": {"1.0.0": {}}}, r.body
    r = env.a.client.get(registry_versions(name))
    assert r.status == 200 and [v["version"] for v in r.json()["versions"]] == ["1.0.0"], r.body
    for path in (mirror_version(name, "1.1.0"), registry_download(name, "1.1.0")):
        r = env.a.client.get(path)
        assert r.status == 404, (path, r.status, r.body)
        assert log.wait_access(path)[0].stale == 0
    assert "serving the cached" not in log.text()


def test_a_tag_the_registry_said_is_gone_is_not_served_again_when_the_registry_then_fails(env):
    """After a 404 for a tag, an outage must not bring the deleted release back from the cache."""
    name = "gone-later"
    _delete(env, name, "1.1.0")
    expired(env, TTL_A)
    gone = [mirror_version(name, "1.1.0"), registry_download(name, "1.1.0")]
    for path in gone:
        assert env.a.client.get(path).status == 404, path
    fault = env.proxy_a.fault(under(repo(name)), "status", 503)
    try:
        responses = get_all(env.a.client, gone)
    finally:
        env.proxy_a.remove(fault)
    assert {p: responses[p].status for p in gone} == {p: 502 for p in gone}, \
        {p: (responses[p].status, responses[p].body[:120]) for p in gone}


FAILURES_OFF = {
    "503": (("status", 503), 502),
    "timeout": (("hang",), 504),
    "connection reset": (("reset",), 502),
}


@pytest.mark.parametrize("outage", list(FAILURES_OFF))
def test_with_stale_if_error_off_an_outage_is_an_error(env, outage):
    name = "off-" + {"503": "503", "timeout": "timeout", "connection reset": "reset"}[outage]
    action, status = FAILURES_OFF[outage]
    docs = documents(name, registry=False)
    expired(env, TTL_Z)
    log = AppLog(env.z.app)
    fault = env.proxy_z.fault(under(repo(name)), *action)
    try:
        responses = get_all(env.z.client, list(docs.values()))
    finally:
        env.proxy_z.remove(fault)
    assert {label: responses[p].status for label, p in docs.items()} == {label: status for label in docs}
    assert "serving the cached" not in log.text()


def test_with_stale_if_error_off_an_outage_is_an_error_also_within_stale_while_revalidate(env):
    """Stack B: stale_if_error = 0 with the default stale_while_revalidate (30s). The request that refreshes
    an answer past its TTL meets a failing registry: stale_if_error is off, so that is a 502, not the cache."""
    name = "swr-off"
    docs = documents(name, registry=False)
    expired(env, TTL_B)
    log = AppLog(env.b.app)
    fault = env.proxy_b.fault(under(repo(name)), "status", 503)
    try:
        responses = get_all(env.b.client, list(docs.values()))
    finally:
        env.proxy_b.remove(fault)
    assert {label: responses[p].status for label, p in docs.items()} == {label: 502 for label in docs}, \
        {label: (responses[p].status, responses[p].body[:100]) for label, p in docs.items()}
    assert "serving the cached" not in log.text()


# ---------------------------------------------------------------- 4. a registry that stays down

@pytest.mark.parametrize("service", ["mirror", "registry"])
def test_a_stopped_registry_is_served_from_the_cache_and_asked_once_per_ttl(env, service):
    """docker-registry stopped (the proxy's connections to it are refused, so it resets the application's):
    the service's listing and download documents are served from the cache, marked stale; within one TTL of
    the failure a request makes no registry attempt at all; after the TTL one attempt again; once the
    registry is back, fresh answers."""
    name = "down-" + service
    docs = {label: path for label, path in documents(name).items() if label.startswith(service)}
    attempts = lambda: len(env.proxy_a.received(under(repo(name))))
    expired(env, TTL_A)
    log = AppLog(env.a.app)
    env.registry.stop()
    try:
        first = {}
        started = time.monotonic()
        for label, path in docs.items():
            before = attempts()
            r = env.a.client.get(path)
            assert r.status == 200 and r.body == env.warm[path], (label, r.status, r.body)
            first[label] = attempts() - before
        failed_by = time.monotonic()
        assert all(n >= 1 for n in first.values()), first  # past the TTL: the registry was tried
        text = log.text()
        assert "serving the cached tag list of %s while the registry fails" % repo(name) in text, text
        assert "serving the cached manifest of %s:1.0.0 while the registry fails" % repo(name) in text, text
        for label, path in docs.items():
            assert log.wait_access(path)[0].stale >= 1, (label, log.access(path))

        again = {}
        for label, path in docs.items():
            before = attempts()
            r = env.a.client.get(path)
            assert r.status == 200 and r.body == env.warm[path], (label, r.status, r.body)
            again[label] = attempts() - before
        # The failures were remembered at the latest when the first round ended and at the earliest when it
        # started: the second round must have ended within the TTL of the first round's start.
        assert time.monotonic() < started + TTL_A, "the second round did not run within the TTL; rerun"
        assert again == {label: 0 for label in docs}, "registry attempts within the TTL of the failure: %s" % again

        wait_past(failed_by + TTL_A + 0.1)
        later = {}
        for label, path in docs.items():
            before = attempts()
            r = env.a.client.get(path)
            assert r.status == 200 and r.body == env.warm[path], (label, r.status, r.body)
            later[label] = attempts() - before
        asked_again = time.monotonic()
        assert all(n >= 1 for n in later.values()), later
    finally:
        env.registry.start()
    publish(env.push, name, "1.1.0")
    wait_past(asked_again + TTL_A + 0.1)
    listing = mirror_index(name) if service == "mirror" else registry_versions(name)
    r = env.a.client.get(listing)
    assert r.status == 200 and "1.1.0" in r.body.decode(), r.body
    assert log.wait_access(listing, 4)[-1].stale == 0
