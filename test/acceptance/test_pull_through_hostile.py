"""Pull-through against a hostile or slow upstream (issue 18, findings 1 and 2): the real program behind real
nginx, in front of the fake upstream of conftest.fault_upstream (pullthrough.FakeUpstream, its SHA256SUMS
signed by the publisher's real GPG key), as the review reproduced them.

- A correctly signed release whose zip is one deflated entry of 64 MiB of zeros listed 4,000 times (381 KB,
  250 GiB if every listing is read) is refused at once, 502 naming the overlap, and the refusal is remembered.
- A zip whose contents expand beyond max_package_size is refused, 502 naming max_package_size.
- A package held mid-way by the upstream (a gate the test opens) with a pool of 1 worker x 4 threads: of four
  requests for it two wait and two get 503 + Retry-After at once, and /healthz, /metrics, stored releases and
  the catalogue keep answering; when the gate opens the import completes.

Every wait is bounded and on something observable (a request's answer, the gate reached, a metric).
"""

import os
import queue
import re
import threading
import time

import pytest

import ocipush
import servers
from conftest import executable_zip, fault_upstream
from pullthrough import PREFIX, PullThrough, package_name, repeated_entry_zip

PLATFORM = "linux_amd64"
HOSTILE_SIZE, HOSTILE_COPIES = 64 << 20, 4000
# The pull-through's own default; the hostile import must be refused well within it.
IMPORT_TIMEOUT = 8
# The slow import's requests wait this long at most: more than the test needs to look at the pool while they
# wait, on a loaded machine too; the gate is opened long before.
SLOW_IMPORT_TIMEOUT = 20
PROMPT = 2.0   # seconds: what "answers at once" means here


def fixture_dir(tmp_path_factory, name):
    return str(servers.reachable_by_web_servers(tmp_path_factory.mktemp(name)))


def mirror_path(address, version):
    return "/mirror/registry.terraform.io/%s/%s.json" % (address, version)


def files_path(address, version, platform=PLATFORM):
    return "/files/%s/%s/%s" % (address, version, package_name(address.split("/")[1], version, platform))


def served_at(fake, path, since):
    """The fake upstream's answers to exactly `path` from its `since`-th request on (not the redirects to it)."""
    return [r for r in fake.requests[since:] if r[1] == path]


def timed_get(client, path, timeout):
    """(response or None if none came within `timeout`, seconds taken)."""
    started = time.monotonic()
    try:
        r = client.get(path, timeout=timeout)
    except OSError:   # a timeout (socket.timeout, URLError): no answer
        r = None
    return r, time.monotonic() - started


def errors_of(r):
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    errors = r.json()["errors"]
    assert errors and all(isinstance(e, str) for e in errors), errors
    return " ".join(errors)


def without_request_id(text):
    return re.sub(r" \(request id [0-9a-f]+\)", "", text)


def metric(stack, name):
    """The sum of a metric's samples in the pool's /metrics (0 when absent)."""
    r = stack.client.get("/metrics", headers={"Authorization": "Bearer " + stack.metrics_token}, timeout=5)
    assert r.status == 200, (r.status, r.body[:300])
    values = re.findall(r"^%s(?:\{[^}]*\})? (\S+)$" % re.escape(name), r.body.decode(), re.M)
    return sum(float(v) for v in values)


def publish(fake, address, packages):
    """acme/TYPE 1.0.0 on the fake upstream, SHA256SUMS signed by its publisher."""
    return fake.add(address, "1.0.0", packages, fake.publisher, fake.publisher)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def fake(tmp_path_factory, tls):
    """conftest.fault_upstream for linux_amd64; each test publishes the releases it needs on it."""
    yield from fault_upstream(fixture_dir(tmp_path_factory, "hostile-fake"), tls, "hostile", [PLATFORM])


def pull_through(directory, tls, fake, upstream_extra=""):
    """A pull-through in front of the fake upstream: ONE worker process x 4 threads (so a refusal remembered is
    remembered for every request), metrics on behind a token."""
    token = "hostile-metrics-token"
    token_file = os.path.join(directory, "metrics-token")
    os.makedirs(directory, exist_ok=True)
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    p = PullThrough(directory, tls, fake.url, name=os.path.basename(directory), upstream_extra=upstream_extra,
                    workers=1, server_extra='  metrics = true\n  metrics_token_file = "%s"\n' % token_file)
    p.metrics_token = p.stack.metrics_token = token
    return p


@pytest.fixture(scope="module")
def pull(tmp_path_factory, tls, fake):
    """Defaults, except import_timeout (SLOW_IMPORT_TIMEOUT)."""
    p = pull_through(fixture_dir(tmp_path_factory, "hostile-pull"), tls, fake,
                     '    import_timeout = "%ds"\n' % SLOW_IMPORT_TIMEOUT)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def small_pull(tmp_path_factory, tls, fake):
    """max_package_size = "4MiB"."""
    p = pull_through(fixture_dir(tmp_path_factory, "hostile-small"), tls, fake, '    max_package_size = "4MiB"\n')
    yield p
    p.stop()


# ---------------------------------------------------------------- finding 1: bounded zips

def test_a_zip_listing_one_entry_4000_times_is_refused_at_once_and_the_refusal_remembered(fake, pull):
    address = "acme/hostile"
    hostile = repeated_entry_zip("terraform-provider-hostile_v1.0.0", HOSTILE_SIZE, HOSTILE_COPIES)
    assert len(hostile) < 400_000   # 381 KB for 250 GiB of reading
    publish(fake, address, {PLATFORM: hostile})
    repo = PREFIX + "/" + address
    path = mirror_path(address, "1.0.0")

    mark = len(fake.requests)
    r, took = timed_get(pull.client, path, timeout=SLOW_IMPORT_TIMEOUT + 10)
    assert r is not None, "no answer in %d s: the import is reading the zip's listings" % (SLOW_IMPORT_TIMEOUT + 10)
    print("%s: %d in %.2f s: %s" % (path, r.status, took, r.body[:300]))
    assert r.status == 502, "%d after %.1f s: %r" % (r.status, took, r.body[:500])
    assert took < IMPORT_TIMEOUT / 2, "refused after %.1f s" % took
    assert "overlap" in errors_of(r)
    assert re.search(r"the import of \S*%s 1\.0\.0 .*failed; nothing was tagged: .*overlap" % address, pull.app.log()), \
        pull.app.log()[-3000:]
    assert len(served_at(fake, files_path(address, "1.0.0"), mark)) == 1   # it was downloaded, then refused
    assert pull.registry.tags(repo) == []
    assert pull.registry.manifest_revisions(repo) == []

    # Within failure_ttl (30 s): the same answer, and the upstream is not asked again (not even its listing).
    mark = len(fake.requests)
    again, took = timed_get(pull.client, path, timeout=10)
    assert again is not None and again.status == 502, again and (again.status, again.body[:300])
    assert took < PROMPT
    assert without_request_id(errors_of(again)) == without_request_id(errors_of(r))
    assert fake.requests[mark:] == []
    assert pull.registry.tags(repo) == []


def test_a_zip_expanding_beyond_max_package_size_is_refused(fake, small_pull):
    address = "acme/bloated"
    bloated = repeated_entry_zip("terraform-provider-bloated_v1.0.0", 8 << 20)   # 8 KB, 8 MiB of contents
    assert len(bloated) < 4 << 20
    publish(fake, address, {PLATFORM: bloated})
    path = mirror_path(address, "1.0.0")
    mark = len(fake.requests)
    r, took = timed_get(small_pull.client, path, timeout=30)
    assert r is not None, "no answer in 30 s"
    print("%s: %d in %.2f s: %s" % (path, r.status, took, r.body[:300]))
    assert r.status == 502, (r.status, r.body[:500])
    assert "max_package_size" in errors_of(r)
    assert served_at(fake, files_path(address, "1.0.0"), mark)
    assert small_pull.registry.tags(PREFIX + "/" + address) == []


# ---------------------------------------------------------------- finding 2: the pool is never held hostage

def test_a_slow_import_holds_at_most_half_the_threads_and_the_rest_answers(fake, pull):
    client = pull.client
    # Stored releases: one pushed into the registry, one imported earlier from the same upstream.
    ocipush.push_opentofu_release(ocipush.Registry(pull.registry.url), PREFIX + "/acme/stored", "1.0.0",
                                  {PLATFORM: executable_zip("terraform-provider-stored_v1.0.0", b"#!/bin/sh\n")})
    stored = [mirror_path("acme/stored", "1.0.0"), mirror_path("acme/genuine", "1.0.0")]
    for p in stored:
        r = client.get(p, timeout=30)
        assert r.status == 200, (p, r.status, r.body[:300])

    address = "acme/slow"
    publish(fake, address, {PLATFORM: executable_zip("terraform-provider-slow_v1.0.0", b"#!/bin/sh\n# slow\n" * 64)})
    gate = fake.hold(files_path(address, "1.0.0"))
    # Its listing is fetched (and kept for versions_ttl) first: the requests below wait on the import alone.
    assert client.get("/mirror/registry.terraform.io/acme/slow/index.json", timeout=30).status == 200
    busy_before = metric(pull, "otr_upstream_busy_total")
    mark = len(fake.requests)

    path = mirror_path(address, "1.0.0")
    answers = queue.Queue()

    def ask():
        answers.put(timed_get(client, path, timeout=SLOW_IMPORT_TIMEOUT + 20))
    requests = [threading.Thread(target=ask, name="slow-request-%d" % i) for i in range(4)]
    for t in requests:
        t.start()
    try:
        gate.wait_held(1, timeout=30)   # the import is downloading the package, held by the upstream

        health, health_took = timed_get(client, "/healthz", timeout=5)
        assert health is not None, "/healthz did not answer in 5 s while the import is held"
        assert health.status == 200 and health_took < PROMPT, (health.status, health_took)

        # Two of the four were answered at once, while the package is still held: 503 + Retry-After, busy.
        quick = []
        for _ in range(2):
            try:
                quick.append(answers.get(timeout=10))
            except queue.Empty:
                raise AssertionError("%d of 4 requests answered while the import is held, not 2" % len(quick))
        print("answered at once while the package is held: %s" % ", ".join(
            "%s in %.2f s" % (r.status if r else "none", took) for r, took in quick))
        for r, took in quick:
            assert r is not None and r.status == 503, r and (r.status, r.body[:300])
            assert r.headers.get("Retry-After", "").isdigit(), dict(r.headers)
            assert "busy" in errors_of(r)
            assert took < SLOW_IMPORT_TIMEOUT / 2
        # ... and two wait, as the pool says.
        servers.wait_until(lambda: metric(pull, "otr_upstream_waiting") == 2, "otr_upstream_waiting 2", timeout=5)
        assert metric(pull, "otr_upstream_busy_total") - busy_before >= 2
        assert metric(pull, "otr_imports_running") == 1
        assert answers.empty(), "a waiting request was answered while the package is held"

        for p in stored:
            r, took = timed_get(client, p, timeout=5)
            assert r is not None and r.status == 200, (p, r and r.status)
            assert took < PROMPT, (p, took)
        page, took = timed_get(client, "/mirror/", timeout=5)
        assert page is not None and page.status == 200, page and page.status
        assert page.headers.get("Content-Type", "").startswith("text/html")
        assert b"registry.terraform.io/acme/stored" in page.body
        assert took < PROMPT
        print("/healthz %.3f s; otr_upstream_waiting %g, otr_upstream_busy_total +%g, otr_imports_running %g"
              % (health_took, metric(pull, "otr_upstream_waiting"),
                 metric(pull, "otr_upstream_busy_total") - busy_before, metric(pull, "otr_imports_running")))
        assert metric(pull, "otr_upstream_waiting") == 2   # still held: all of the above answered meanwhile
    finally:
        gate.open()
        for t in requests:
            t.join(SLOW_IMPORT_TIMEOUT + 30)
    assert not any(t.is_alive() for t in requests)

    # The waiting requests complete: the release, or (had import_timeout passed) "being imported".
    waited = [answers.get_nowait() for _ in range(2)]
    print("the waiting requests, after the gate opened: %s" % ", ".join(
        "%s in %.2f s" % (r.status if r else "none", took) for r, took in waited))
    for r, took in waited:
        assert r is not None, "a waiting request got no answer"
        assert r.status == 200 or (r.status == 503 and "being imported" in errors_of(r)), (r.status, r.body[:300])
    assert len(served_at(fake, files_path(address, "1.0.0"), mark)) == 1   # one import for the four

    def served():
        return client.get(path, timeout=10).status == 200
    servers.wait_until(served, "%s to answer 200 after the import" % path, timeout=30)
    assert "1.0.0" in pull.registry.tags(PREFIX + "/" + address)
    servers.wait_until(lambda: metric(pull, "otr_upstream_waiting") == 0 and
                       metric(pull, "otr_imports_running") == 0, "no thread waiting, no import running", timeout=10)
