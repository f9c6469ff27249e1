"""Where an upstream's documents and redirects may send the pull-through (issue 18, finding 5).

The upstreams are pullthrough.FakeUpstream servers of this process; the pull-through is the real program
behind nginx (pullthrough.PullThrough). A download document or redirect that goes from https to plain http
is refused, and so is another host on a loopback, private or link-local address (here 127.0.0.2, another
machine to the program) unless allow_private_addresses is set: each answered 502, naming the URL without its
query string, and remembered (a second request within failure_ttl asks the upstream nothing: the pull-throughs
have one worker process, as failures are remembered per process).
"""

import pytest

import servers
from conftest import GpgKey, executable_zip
from pullthrough import PREFIX, FakeUpstream, PullThrough

PLATFORM = "linux_amd64"
SECRET = "X-Amz-Signature=not-for-the-log"


def fixture_dir(tmp_path_factory, name):
    return str(servers.reachable_by_web_servers(tmp_path_factory.mktemp(name)))


def packages(type_):
    return {PLATFORM: executable_zip("terraform-provider-%s_v1.0.0" % type_, ("#!/bin/sh\n# %s\n" % type_).encode())}


def download(stack, address, status):
    r = stack.client.get("/registry/%s/1.0.0/download/linux/amd64" % address, timeout=120)
    assert r.status == status, "%d %r\n--- app log ---\n%s" % (r.status, r.body[:2000], stack.app.log()[-4000:])
    return r


def refused_twice(stack, upstream, address, problem):
    """The download of `address` is a 502 naming `problem`, without the signed URL's query, and the second
    ask is answered from the remembered failure: no request reaches `upstream` for it."""
    errors = " ".join(download(stack, address, 502).json()["errors"])
    print("%s: 502 %s" % (address, errors))
    assert problem in errors, errors
    assert SECRET not in errors and SECRET not in stack.app.log(), errors
    asked = len(upstream.requests)
    again = " ".join(download(stack, address, 502).json()["errors"])
    assert problem in again, again
    assert upstream.requests[asked:] == [], "asked again within failure_ttl: %r" % upstream.requests[asked:]
    assert stack.registry.tags(PREFIX + "/" + address) == []
    return errors


class Servers:
    pass


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    publisher = GpgKey(fixture_dir(tmp_path_factory, "addr-keys"), "addr-publisher")
    yield publisher
    publisher.stop()


@pytest.fixture(scope="module")
def downgrade(tmp_path_factory, tls, keys):
    """An https upstream whose acme/plainurl documents name plain http file URLs and whose acme/plainredirect
    package redirects to plain http; the plain http server (same host) serves both releases' files."""
    s = Servers()
    s.upstream = FakeUpstream(tls)
    s.plain = FakeUpstream(None)
    try:
        for address, where in (("acme/plainurl", "files_at"), ("acme/plainredirect", "redirect_to")):
            release = s.upstream.add(address, "1.0.0", packages(address.split("/")[1]), keys, keys,
                                     query="?" + SECRET, **{where: s.plain.url})
            s.plain.serve_files_of(address, release)
        s.pull = PullThrough(fixture_dir(tmp_path_factory, "addr-downgrade"), tls, s.upstream.url, name="addr-dg",
                             workers=1)
        yield s
        s.pull.stop()
    finally:
        s.upstream.stop()
        s.plain.stop()


@pytest.fixture(scope="module")
def private(tmp_path_factory, tls, keys):
    """A plain http upstream on 127.0.0.1 whose acme/elsewhere files are on 127.0.0.2 (another plain http
    server), and two pull-throughs in front of it: one as configured by default, one with
    allow_private_addresses = true."""
    s = Servers()
    s.upstream = FakeUpstream(None, host="127.0.0.1")
    s.files = FakeUpstream(None, host="127.0.0.2")
    try:
        release = s.upstream.add("acme/elsewhere", "1.0.0", packages("elsewhere"), keys, keys, files_at=s.files.url,
                                 query="?" + SECRET)
        s.files.serve_files_of("acme/elsewhere", release)
        s.refusing = PullThrough(fixture_dir(tmp_path_factory, "addr-refusing"), tls, s.upstream.url, name="addr-r",
                                 workers=1)
        try:
            s.allowing = PullThrough(fixture_dir(tmp_path_factory, "addr-allowing"), tls, s.upstream.url,
                                     name="addr-a", upstream_extra="    allow_private_addresses = true\n")
            yield s
            s.allowing.stop()
        finally:
            s.refusing.stop()
    finally:
        s.upstream.stop()
        s.files.stop()


def test_a_download_document_naming_plain_http_urls_under_an_https_upstream_is_refused(downgrade):
    errors = refused_twice(downgrade.pull, downgrade.upstream, "acme/plainurl", "https to plain http")
    assert downgrade.plain.url + "/" in errors, errors   # the URL is named, without its query
    assert downgrade.plain.requests == []


def test_a_redirect_from_https_to_plain_http_is_refused(downgrade):
    errors = refused_twice(downgrade.pull, downgrade.upstream, "acme/plainredirect", "https to plain http")
    redirect = "/redirect/files/acme/plainredirect/1.0.0/terraform-provider-plainredirect_1.0.0_linux_amd64.zip"
    assert [r for r in downgrade.upstream.requests if r[1].split("?")[0] == redirect]   # the redirect was asked
    assert downgrade.plain.url + "/files/" in errors, errors
    assert downgrade.plain.requests == []


def test_files_on_another_private_address_are_refused_by_default(private):
    errors = refused_twice(private.refusing, private.upstream, "acme/elsewhere", "allow_private_addresses")
    assert "not public" in errors, errors
    assert "127.0.0.2" in errors   # the URL, whose host it is
    assert private.files.requests == [], "the private address was reached: %r" % private.files.requests
    # The address connected to is in the log, for the operator.
    assert "no connection to 127.0.0.2" in private.refusing.app.log()


def test_with_allow_private_addresses_the_same_files_are_fetched(private):
    asked = len(private.files.requests)
    download(private.allowing, "acme/elsewhere", 200)
    fetched = [path.split("?")[0] for _, path, _ in private.files.requests[asked:]]
    assert "/files/acme/elsewhere/1.0.0/terraform-provider-elsewhere_1.0.0_SHA256SUMS" in fetched, fetched
    assert any(p.endswith("_linux_amd64.zip") for p in fetched), fetched
    assert "1.0.0" in private.allowing.registry.tags(PREFIX + "/acme/elsewhere")
