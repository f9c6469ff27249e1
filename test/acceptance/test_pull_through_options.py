"""Pull-through's options with real components (issue 11): which credentials write into the OCI registry
(write_credentials, else origin_credentials), which namespaces and platforms are imported. The upstream is
this program's provider_registry behind nginx (pullthrough.Upstream); the pull-through writes into a
docker-registry that wants Basic credentials."""

import json
import os
import urllib.request

import pytest

import ocipush
import servers
from gpgkeys import GpgKey
from pullthrough import PREFIX, TIMEOUTS, Upstream, write_random_package, package_name

PLATFORMS = ("darwin_arm64", "linux_amd64", "windows_amd64")


def dir_for(tmp_path_factory, name):
    return str(servers.reachable_by_web_servers(tmp_path_factory.mktemp(name)))


@pytest.fixture(scope="module")
def upstream(tmp_path_factory, tls):
    """acme/widget 1.0.0 and other/widget 1.0.0, three platforms each."""
    d = dir_for(tmp_path_factory, "pto-upstream")
    up = Upstream(os.path.join(d, "upstream"), tls, name="options-upstream")
    try:
        for address in ("acme/widget", "other/widget"):
            paths = []
            for platform in PLATFORMS:
                path = os.path.join(d, "zips", address.replace("/", "-"), package_name("widget", "1.0.0", platform))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                write_random_package(path, "terraform-provider-widget_v1.0.0", 2048)
                paths.append(path)
            up.publish(address, "1.0.0", paths)
        yield up
    finally:
        up.stop()


@pytest.fixture(scope="module")
def locked_registry(tmp_path_factory):
    """A docker-registry that wants Basic credentials (robot / pw) for every call."""
    d = dir_for(tmp_path_factory, "pto-registry")
    registry = servers.DockerRegistry(d, auth=servers.htpasswd_auth(d)).start()
    yield registry
    registry.stop()


def pull_through(directory, tls, registry, upstream, credentials, upstream_extra):
    key = GpgKey(directory, "pto-operator")
    upstream_block = ('  upstream {\n    url = "%s"\n    hostnames = ["registry.terraform.io"]\n    ca_file = "%s"\n%s'
                      '  }\n' % (upstream.url, tls[0], upstream_extra))
    services = ('provider_registry "registry" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                '  signing_key_file = "%s"\n  proxy_packages = true\n%s%s}\n'
                % (registry.url, key.secret_file, credentials, upstream_block))
    stack = servers.NginxStack(directory, services, tls, workers=1, extra=TIMEOUTS)
    stack.key = key
    return stack


def tags(registry, repository):
    request = urllib.request.Request(registry.url + "/v2/%s/tags/list" % repository)
    request.add_header("Authorization", "Basic cm9ib3Q6cHc=")  # robot:pw
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r).get("tags") or []
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return []
        raise


def index_of(registry, repository, tag):
    request = urllib.request.Request(registry.url + "/v2/%s/manifests/%s" % (repository, tag))
    request.add_header("Authorization", "Basic cm9ib3Q6cHc=")
    request.add_header("Accept", ocipush.INDEX)
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


READ = '  origin_credentials {\n    username = "robot"\n    password = "pw"\n  }\n'


def test_write_credentials_are_what_writes(tmp_path_factory, tls, upstream, locked_registry):
    """Wrong write_credentials: the import is refused by the registry, nothing is tagged, the client gets an
    error (never a 200 for a release that is not there); the reads still work with origin_credentials."""
    wrong = pull_through(dir_for(tmp_path_factory, "pto-wrong"), tls, locked_registry, upstream, READ,
                         '    write_credentials {\n      username = "robot"\n      password = "not-the-password"\n'
                         '    }\n')
    try:
        r = wrong.client.get("/registry/acme/widget/1.0.0/download/linux/amd64", timeout=120)
        assert r.status == 503, r.body  # the server's problem: never a 401 that asks the client for credentials
        assert "WWW-Authenticate" not in r.headers
        assert tags(locked_registry, PREFIX + "/acme/widget") == []
        assert "pull-through: the import of registry.terraform.io/acme/widget 1.0.0" in wrong.app.log()
        listing = wrong.client.get("/registry/acme/widget/versions")
        assert listing.status == 200 and json.loads(listing.body)["versions"][0]["version"] == "1.0.0"
    finally:
        wrong.stop()
        wrong.key.stop()


def test_without_write_credentials_origin_credentials_write(tmp_path_factory, tls, upstream, locked_registry):
    ok = pull_through(dir_for(tmp_path_factory, "pto-default"), tls, locked_registry, upstream, READ,
                      '    platforms = ["linux_amd64", "darwin_arm64"]\n    namespaces = ["acme"]\n')
    try:
        r = ok.client.get("/registry/acme/widget/1.0.0/download/linux/amd64", timeout=120)
        assert r.status == 200, r.body
        assert tags(locked_registry, PREFIX + "/acme/widget") == ["1.0.0"]
        # Only the configured platforms are stored; the others are 404, and never fetched upstream.
        index = index_of(locked_registry, PREFIX + "/acme/widget", "1.0.0")
        platforms = sorted("%s_%s" % (m["platform"]["os"], m["platform"]["architecture"])
                           for m in index["manifests"] if "platform" in m)
        assert platforms == ["darwin_arm64", "linux_amd64"]
        assert ok.client.get("/registry/acme/widget/1.0.0/download/windows/amd64").status == 404
        assert "download/windows" not in upstream.stack.nginx.access_log()
        # A namespace not allowed is never imported, although the upstream has it.
        other = ok.client.get("/registry/other/widget/1.0.0/download/linux/amd64")
        assert other.status == 404, other.body
        assert tags(locked_registry, PREFIX + "/other/widget") == []
        assert "/registry/other/widget" not in upstream.stack.nginx.access_log()
    finally:
        ok.stop()
        ok.key.stop()
