"""Air-gapped mirrors: `push --to oci-layout:DIR` writes an OCI image layout, and a service with
origin_url = "file:///DIR" serves it, with the same documents a registry-backed service gives for the same
release. oras reads the layout too."""

import hashlib
import json
import os
import subprocess

import pytest

import servers
from test_push import PLATFORMS, PREFIX, file_digest, file_h1, manifest, write_packages
from test_push_module import write_module
from test_push_oras import Oras

EPOCH = "1700000000"  # SOURCE_DATE_EPOCH: the same created time in both pushes, so the same bytes


def push(config, *args, env=None):
    return subprocess.run([servers.BINARY, "--config", config, "push", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, **(env or {})))


@pytest.fixture(scope="module")
def airgap(workdir, registry, tls):
    """One application serving the registry ("reg") and a layout directory ("airgap"), behind nginx."""
    d = workdir / "airgap"
    d.mkdir()
    layout = str(d / "layout")
    services = ('provider_mirror "reg" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                '  proxy_packages = true\n}\n' % registry.url +
                'provider_mirror "airgap" {\n  origin_url = "file://%s"\n  name_prefix = "terraform-providers"\n'
                '  host_aliases = { "registry.opentofu.org" = "registry.terraform.io" }\n}\n' % layout +
                'module_registry "airgap-modules" {\n  origin_url = "file://%s"\n}\n' % layout +
                'provider_mirror "nowhere" {\n  origin_url = "file://%s/missing"\n}\n' % d)
    stack = servers.NginxStack(str(d), services, tls)
    yield {"config": stack.config, "layout": layout, "client": stack.client, "app": stack.app}
    stack.stop()


def test_layout_serves_the_same_documents_as_the_registry(airgap, registry, tmp_path):
    zips = write_packages(tmp_path, "airgapped", "1.4.0")
    to_registry = push(airgap["config"], "provider", "--service", "reg", "acme/airgapped", "1.4.0", *zips.values())
    assert to_registry.returncode == 0, to_registry.stderr
    to_layout = push(airgap["config"], "provider", "--to", "oci-layout:" + airgap["layout"],
                     "--name-prefix", "terraform-providers", "acme/airgapped", "1.4.0", *zips.values())
    assert to_layout.returncode == 0, to_layout.stderr
    assert "oci-layout:" + airgap["layout"] in to_layout.stdout

    # The same bytes in both places: the layout's index names what the registry's tag names.
    repo = PREFIX + "/acme/airgapped"
    _, registry_digest, _ = manifest(registry, repo, "1.4.0")
    with open(os.path.join(airgap["layout"], "index.json")) as f:
        index = json.load(f)
    entry = next(m for m in index["manifests"]
                 if m["annotations"]["org.opencontainers.image.ref.name"] == repo + ":1.4.0")
    assert entry["digest"] == registry_digest
    assert entry["mediaType"] == "application/vnd.oci.image.index.v1+json"
    with open(os.path.join(airgap["layout"], "oci-layout")) as f:
        assert json.load(f) == {"imageLayoutVersion": "1.0.0"}

    client = airgap["client"]
    from_registry = client.get("/reg/registry.terraform.io/acme/airgapped/index.json")
    from_layout = client.get("/airgap/registry.terraform.io/acme/airgapped/index.json")
    assert from_layout.status == 200 and from_layout.content_type == "application/json"
    assert from_layout.body == from_registry.body
    reg_doc = client.get("/reg/registry.terraform.io/acme/airgapped/1.4.0.json").json()["archives"]
    layout_doc = client.get("/airgap/registry.opentofu.org/acme/airgapped/1.4.0.json").json()["archives"]
    assert sorted(layout_doc) == sorted(reg_doc) == list(PLATFORMS)
    for p, path in zips.items():
        assert layout_doc[p]["hashes"] == reg_doc[p]["hashes"] == [file_h1(path), "zh:" + file_digest(path)[7:]]
        url = layout_doc[p]["url"]
        assert url.startswith("/airgap/_packages/") and "?token=" in url  # always through the service
        download = client.get(url)
        assert download.status == 200 and download.headers["Content-Type"] == "application/zip"
        with open(path, "rb") as f:
            assert download.body == f.read()
        assert client.request(url, method="HEAD").headers["Content-Length"] == str(os.path.getsize(path))

    assert client.get("/airgap/registry.terraform.io/acme/unknown/index.json").status == 404
    assert client.get("/airgap/registry.terraform.io/acme/airgapped/9.9.9.json").status == 404
    broken = client.get("/nowhere/registry.terraform.io/acme/airgapped/index.json")
    assert broken.status == 502
    # The client hears that the origin failed; the log says why (the layout has no index.json).
    request_id = broken.json()["errors"][0].rsplit("request id ", 1)[1].rstrip(")")
    assert any("index.json" in line and request_id in line for line in airgap["app"].log().splitlines())


def test_a_file_origin_service_is_a_push_destination(airgap, tmp_path):
    module = write_module(str(tmp_path / "module"))
    r = push(airgap["config"], "module", "--service", "airgap-modules", "acme/gapmod/aws", "1.0.0", module)
    assert r.returncode == 0, r.stderr
    assert "oci-layout:" + airgap["layout"] in r.stdout
    zips = write_packages(tmp_path, "viaservice", "0.1.0", ["linux_amd64"])
    r = push(airgap["config"], "provider", "--service", "airgap", "acme/viaservice", "0.1.0", *zips.values())
    assert r.returncode == 0, r.stderr
    again = push(airgap["config"], "provider", "--service", "airgap", "acme/viaservice", "0.1.0", *zips.values())
    assert "nothing to do" in again.stdout
    doc = airgap["client"].get("/airgap/registry.terraform.io/acme/viaservice/0.1.0.json")
    assert doc.status == 200 and list(doc.json()["archives"]) == ["linux_amd64"]


def test_oras_reads_the_layout(airgap, oras, tmp_path):
    zips = write_packages(tmp_path, "orasgap", "2.0.0", ["linux_amd64"])
    assert push(airgap["config"], "provider", "--service", "airgap", "acme/orasgap", "2.0.0",
                *zips.values()).returncode == 0
    cli = Oras(oras, str(tmp_path / "oras-home"))
    ref = PREFIX + "/acme/orasgap:2.0.0"
    assert ref in cli.run("repo", "tags", "--oci-layout", airgap["layout"]).decode().split()
    index = cli.json("manifest", "fetch", "--oci-layout-path", airgap["layout"], ref)
    assert index["artifactType"] == "application/vnd.opentofu.provider"
    out = tmp_path / "pulled"
    cli.run("pull", "--oci-layout-path", airgap["layout"], "--platform", "linux/amd64", "-o", str(out), ref)
    name = os.path.basename(zips["linux_amd64"])
    assert os.listdir(out) == [name]
    with open(out / name, "rb") as f:
        assert "sha256:" + hashlib.sha256(f.read()).hexdigest() == file_digest(zips["linux_amd64"])


def test_file_origin_configuration_errors(tmp_path):
    def check(text):
        path = tmp_path / "c.hcl"
        path.write_text(text)
        return subprocess.run([servers.BINARY, "--config", str(path), "check-config"], capture_output=True, text=True)
    secret = 'server {\n  query_string_secret = "%s"\n}\n' % servers.SECRET
    r = check('provider_mirror "a" {\n  origin_url = "file://relative/dir"\n}\n' + secret)
    assert r.returncode == 78 and "file:///absolute/path" in r.stderr
    r = check('provider_mirror "a" {\n  origin_url = "file:///srv/layout"\n  proxy_packages = false\n}\n' + secret)
    assert r.returncode == 78 and "proxy_packages = false cannot work with a file:// origin" in r.stderr
    r = check('provider_mirror "a" {\n  origin_url = "file:///srv/layout"\n}\n')
    assert r.returncode == 78 and "needs server.query_string_secret" in r.stderr
    r = check('provider_mirror "a" {\n  origin_url = "file:///srv/layout/"\n}\n' + secret)
    assert r.returncode == 0 and "file:///srv/layout" in r.stdout and "(downloads proxied)" in r.stdout


def test_bad_destinations(airgap, tmp_path):
    zips = write_packages(tmp_path, "dest", "1.0.0", ["linux_amd64"])
    r = push(airgap["config"], "provider", "--to", "s3://bucket", "acme/dest", "1.0.0", *zips.values())
    assert r.returncode == 64 and "expected oci-layout:DIR" in r.stderr
    not_layout = tmp_path / "notlayout"
    not_layout.mkdir()
    (not_layout / "oci-layout").write_text("hello")
    r = push(airgap["config"], "provider", "--to", "oci-layout:" + str(not_layout), "acme/dest", "1.0.0", *zips.values())
    assert r.returncode == 1 and "is not an OCI image layout" in r.stderr
