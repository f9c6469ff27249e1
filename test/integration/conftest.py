"""Fixtures: one registry with published fixtures, the application, and each web server in front.

Everything listens on free 127.0.0.1 ports and is stopped when the session ends.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocipush  # noqa: E402
import servers  # noqa: E402

PREFIX = "terraform-providers/registry.terraform.io"


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return servers.reachable_by_web_servers(tmp_path_factory.mktemp("it"))


@pytest.fixture(scope="session")
def tls(workdir):
    d = workdir / "tls"
    d.mkdir()
    return servers.make_tls(str(d))


class Fixtures:
    """What was published, for the tests to compare against."""

    def __init__(self):
        self.null = {}      # version -> {platform: (digest, size, h1)}
        self.legacy = {}    # platform -> digest
        self.big = None     # (digest, size)
        self.paged_versions = []


@pytest.fixture(scope="session")
def registry(workdir):
    d = workdir / "registry"
    d.mkdir()
    reg = servers.DockerRegistry(str(d)).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def published(registry, workdir):
    push = ocipush.Registry(registry.url)
    f = Fixtures()
    repo = PREFIX + "/hashicorp/null"
    for version in ("3.2.0", "3.2.1-beta.1", "3.1.0+ent"):
        packages = {p: ocipush.provider_zip("terraform-provider-null_v" + version, seed=p)
                    for p in ("linux_amd64", "darwin_arm64", "windows_amd64")}
        f.null[version] = ocipush.push_opentofu_release(push, repo, version, packages)
    ocipush.push_extra_tag(push, repo, "latest", "3.2.0")

    legacy_repo = PREFIX + "/acme/legacy"
    a = ocipush.provider_zip("terraform-provider-legacy_v1.0.0", seed="unix")
    b = ocipush.provider_zip("terraform-provider-legacy_v1.0.0.exe", seed="windows")
    ocipush.push_legacy_release(push, legacy_repo, "1.0.0", [(a, "linux_amd64,darwin_amd64"), (b, "windows_amd64")])
    f.legacy = {"linux_amd64": ocipush.sha256_digest(a), "darwin_amd64": ocipush.sha256_digest(a),
                "windows_amd64": ocipush.sha256_digest(b)}

    # A 20 MB package: many chunks through every layer.
    big_path = workdir / "big.zip"
    with open(big_path, "wb") as out:
        out.write(ocipush.provider_zip("terraform-provider-big_v1.0.0", size=20 << 20))
    f.big = ocipush.push_opentofu_release_from_file(push, PREFIX + "/acme/big", "1.0.0", "linux_amd64", str(big_path))

    # More tags than one page of the tag list (the application asks for pages of 1000).
    paged_repo = PREFIX + "/acme/paged"
    ocipush.push_opentofu_release(push, paged_repo, "0.0.1", {"linux_amd64": ocipush.provider_zip("p")})
    f.paged_versions = ["0.0.1"] + ["1.%d.0" % i for i in range(1050)]
    for version in f.paged_versions[1:]:
        ocipush.push_extra_tag(push, paged_repo, version, "0.0.1")
    return f


@pytest.fixture(scope="session")
def app_config(workdir, registry):
    path = str(workdir / "config.hcl")
    servers.write_app_config(
        path, registry.url, proxy=True, listen="unix:" + str(workdir / "app.sock"),
        extra_server='  socket_mode = "0666"\n')
    with open(path, "a") as f:
        f.write('provider_mirror "direct" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n}\n'
                'module_registry "modules" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n}\n'
                % (registry.url, registry.url))
    return path


@pytest.fixture(scope="session")
def app(workdir, app_config, published):
    pool = servers.AppPool(str(workdir), app_config).start()
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def nginx(workdir, app, tls):
    d = workdir / "nginx"
    d.mkdir()
    server = servers.Nginx(str(d), app.socket, tls).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def lighttpd(workdir, app_config, tls, published):
    d = workdir / "lighttpd"
    d.mkdir()
    server = servers.Lighttpd(str(d), app_config, tls).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def apache(workdir, app_config, tls, published):
    d = workdir / "apache"
    d.mkdir()
    server = servers.Apache(str(d), app_config, tls).start()
    yield server
    server.stop()


@pytest.fixture(params=["nginx", "lighttpd", "apache"])
def frontend(request, tls):
    """Each web server in front of the application, configured from the shipped example."""
    server = request.getfixturevalue(request.param)
    server.client = servers.Client(server.url, tls[0])
    server.ca = tls[0]
    server.name = request.param
    return server


@pytest.fixture
def client(nginx, tls):
    return servers.Client(nginx.url, tls[0])


@pytest.fixture(scope="session")
def oras():
    """The oras CLI (OTR_ORAS, built by scripts/run-integration-tests.sh from its Go module)."""
    path = os.environ.get("OTR_ORAS")
    if not path:
        pytest.skip("OTR_ORAS not set: run scripts/run-integration-tests.sh, which builds oras (needs Go)")
    return path
