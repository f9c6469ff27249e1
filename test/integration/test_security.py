"""Regression tests for the security review (issue 9): each would fail on the code before its fix.

Real components: docker-registry, the worker pool behind nginx, gpg. Small Python servers stand in
only where a real component cannot misbehave on purpose (a registry that redirects uploads elsewhere).
"""

import os

import pytest

import ocipush
import servers
from gpgkeys import GpgKey

PREFIX = "terraform-providers/registry.terraform.io"


class Stack:
    pass


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
        'provider_registry "registry" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
        '  signing_key_file = "%s"\n  proxy_packages = true\n}\n' % (s.registry.url, s.operator.secret_file),
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
