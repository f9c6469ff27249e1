"""GET /metrics (issue 13): the pool's counters scraped through nginx and read by the Prometheus text parser
(python3-prometheus-client): names, types, label sets, and counters that keep counting across a worker's
recycling and a reload (the master shares them with its workers); off by default; addresses and token."""

import contextlib
import os
import signal
import subprocess
import sys

import ocipush
import servers

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # a Python of its own (pyenv): Debian's package lives with the system's
    sys.path.append("/usr/lib/python3/dist-packages")
    from prometheus_client.parser import text_string_to_metric_families

REPO = "terraform-providers/registry.terraform.io/acme/widget"
INDEX = "/mirror/registry.terraform.io/acme/widget/index.json"


def mirror(registry_url):
    return ('provider_mirror "mirror" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n}\n'
            % registry_url)


@contextlib.contextmanager
def pool(directory, tls, extra="", workers=1):
    """A docker-registry and the program serving it as provider_mirror "mirror" behind nginx; stopped after."""
    os.makedirs(os.path.join(directory, "registry"))
    registry = servers.DockerRegistry(os.path.join(directory, "registry")).start()
    try:
        stack = servers.NginxStack(os.path.join(directory, "app"), mirror(registry.url), tls, workers=workers,
                                   extra=extra)
        try:
            yield registry, stack
        finally:
            stack.stop()
    finally:
        registry.stop()


def scrape(stack, headers=None):
    r = stack.client.get("/metrics", headers=headers)
    assert r.status == 200, (r.status, r.body[:300])
    assert r.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(r.body.decode())}
    return families


def value(families, family, name, **labels):
    for s in families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


def test_metrics_are_off_unless_asked_for(workdir, tls):
    with pool(str(workdir / "metrics-off"), tls) as (_, stack):
        assert stack.client.get("/metrics").status == 404


def test_the_pool_reports_one_set_of_counters_that_survives_recycling_and_reloads(workdir, tls):
    with pool(str(workdir / "metrics"), tls, workers=2,
              extra='  metrics = true\n  metrics_allow = ["127.0.0.0/8"]\n  max_requests_per_worker = 10\n') as (registry, stack):
        ocipush.push_opentofu_release(ocipush.Registry(registry.url), REPO, "1.0.0",
                                      {"linux_amd64": ocipush.provider_zip("widget")})
        before = scrape(stack)
        # Types and the label sets.
        assert before["otr_requests"].type == "counter"
        assert before["otr_request_duration_seconds"].type == "histogram"
        assert before["otr_registry_calls"].type == "counter"
        assert before["otr_requests_in_flight"].type == "gauge"
        assert value(before, "otr_worker_starts", "otr_worker_starts_total") >= 2

        for _ in range(30):  # 30 requests over 2 workers recycling every 10: every worker is replaced
            assert stack.client.get(INDEX).status == 200
        assert stack.client.get("/mirror/registry.terraform.io/acme/nothing/index.json").status == 404
        servers.wait_until(lambda: value(scrape(stack), "otr_worker_exits", "otr_worker_exits_total",
                                         cause="recycled") >= 2, "workers recycled")
        after = scrape(stack)
        served = value(after, "otr_requests", "otr_requests_total", service="mirror", kind="provider_index",
                       code="200")
        assert served == 30  # counted by the workers that are gone too
        assert value(after, "otr_requests", "otr_requests_total", service="mirror", kind="provider_index",
                     code="404") == 1
        assert value(after, "otr_request_duration_seconds", "otr_request_duration_seconds_count", service="mirror",
                     kind="provider_index") == 31
        assert value(after, "otr_registry_calls", "otr_registry_calls_total", kind="tags", outcome="ok") >= 1
        assert value(after, "otr_registry_calls", "otr_registry_calls_total", kind="tags", outcome="not_found") >= 1
        assert value(after, "otr_cache_hits", "otr_cache_hits_total") >= 1
        assert value(after, "otr_worker_starts", "otr_worker_starts_total") > value(before, "otr_worker_starts",
                                                                                    "otr_worker_starts_total")
        # Every sample of `before` is a counter that has not gone down.
        for name, family in before.items():
            if family.type != "counter":
                continue
            for s in family.samples:
                assert value(after, name, s.name, **s.labels) >= s.value, (s.name, s.labels)

        # A reload: new workers, the same counters.
        stack.app.process.signal(signal.SIGHUP)
        servers.wait_until(lambda: value(scrape(stack), "otr_reloads", "otr_reloads_total") == 1, "the reload")
        assert stack.client.get(INDEX).status == 200
        reloaded = scrape(stack)
        assert value(reloaded, "otr_requests", "otr_requests_total", service="mirror", kind="provider_index",
                     code="200") == 31
        assert "pid" not in str([s.labels for s in reloaded["otr_requests"].samples])  # one pool, no pid label


def test_loopback_is_not_allowed_unless_listed(workdir, tls):
    """Issue 18, finding 7: nginx passes the client's address, and behind a TLS terminator or tunnel on the host
    every client is 127.0.0.1; metrics = true alone answers no address, and says so at start and in check-config."""
    with pool(str(workdir / "metrics-closed"), tls, extra='  metrics = true\n') as (_, stack):
        refused = stack.client.get("/metrics")  # from 127.0.0.1
        assert refused.status == 403 and b"otr_" not in refused.body
        assert "every GET /metrics is refused" in stack.app.log()
        checked = subprocess.run([servers.BINARY, "--config", stack.config, "check-config"], capture_output=True,
                                 text=True)
        assert checked.returncode == 0, checked.stderr
        assert "metrics = true, but neither metrics_allow nor metrics_token_file" in checked.stderr


def test_only_allowed_addresses_or_the_token_get_the_metrics(workdir, tls):
    d = str(workdir / "metrics-token")
    os.makedirs(d)
    token_file = os.path.join(d, "metrics-token")
    with open(token_file, "w") as f:
        f.write("s3cret-metrics-token\n")
    os.chmod(token_file, 0o644)
    with pool(d, tls, extra='  metrics = true\n  metrics_allow = ["192.0.2.0/24"]\n'
                            '  metrics_token_file = "%s"\n' % token_file) as (_, stack):
        refused = stack.client.get("/metrics")  # from 127.0.0.1, not in metrics_allow
        assert refused.status == 403 and b"otr_" not in refused.body
        assert stack.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status == 403
        families = scrape(stack, headers={"Authorization": "Bearer s3cret-metrics-token"})
        assert "otr_requests" in families
        assert "s3cret" not in stack.app.log()
