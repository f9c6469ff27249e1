"""What `push` writes, read back with the real `oras` CLI (built from its Go module by
scripts/build-test-tools.sh; run-integration-tests.sh passes it in OTR_ORAS): manifests, artifact types,
platforms, tags and layer bytes are what OpenTofu expects."""

import hashlib
import json
import os
import subprocess

import pytest

from test_push import PLATFORMS, PREFIX, file_h1, run_push, write_packages
from test_push_module import write_module


class Oras:
    def __init__(self, binary, home):
        self.binary = binary
        os.makedirs(home, exist_ok=True)
        # An empty docker configuration of its own: nothing of the user's leaks in.
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "DOCKER_CONFIG": home}

    def run(self, *args, cwd=None):
        proc = subprocess.run([self.binary, *args], capture_output=True, env=self.env, cwd=cwd, timeout=60)
        assert proc.returncode == 0, "oras %s: %s" % (" ".join(args), proc.stderr.decode())
        return proc.stdout

    def json(self, *args):
        return json.loads(self.run(*args))


@pytest.fixture
def cli(oras, tmp_path):
    return Oras(oras, str(tmp_path / "oras-home"))


def host(registry):
    return registry.url.split("://", 1)[1]


def sha256_file(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


def test_oras_reads_a_pushed_provider(app_config, registry, cli, tmp_path):
    zips = write_packages(tmp_path / "dist", "orasread", "3.0.0")
    r = run_push(app_config, "provider", "--service", "mirror", "acme/orasread", "3.0.0", *zips.values())
    assert r.returncode == 0, r.stderr
    ref = "%s/%s/acme/orasread" % (host(registry), PREFIX)

    assert cli.run("repo", "tags", "--plain-http", ref).decode().split() == ["3.0.0"]
    index = cli.json("manifest", "fetch", "--plain-http", ref + ":3.0.0")
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert index["artifactType"] == "application/vnd.opentofu.provider"
    assert {(d["platform"]["os"], d["platform"]["architecture"]) for d in index["manifests"]} == \
        {tuple(p.split("_")) for p in PLATFORMS}
    descriptor = cli.json("manifest", "fetch", "--plain-http", "--descriptor", ref + ":3.0.0")
    assert descriptor["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert descriptor["digest"].startswith("sha256:") and descriptor["size"] > 0

    for platform in PLATFORMS:
        os_, arch = platform.split("_")
        m = cli.json("manifest", "fetch", "--plain-http", "--platform", "%s/%s" % (os_, arch), ref + ":3.0.0")
        assert m["artifactType"] == "application/vnd.opentofu.provider-target"
        assert m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
        assert [l["mediaType"] for l in m["layers"]] == ["archive/zip"]
        assert m["annotations"]["io.terraform.provider.package.h1"] == file_h1(zips[platform])
        # oras pull names the file after the layer's title: the package's own file name.
        out = tmp_path / ("pulled-" + platform)
        cli.run("pull", "--plain-http", "--platform", "%s/%s" % (os_, arch), "-o", str(out), ref + ":3.0.0")
        name = os.path.basename(zips[platform])
        assert os.listdir(out) == [name]
        with open(out / name, "rb") as got, open(zips[platform], "rb") as want:
            assert got.read() == want.read()
        blob = cli.run("blob", "fetch", "--plain-http", "--output", "-", ref + "@" + m["layers"][0]["digest"])
        assert "sha256:" + hashlib.sha256(blob).hexdigest() == sha256_file(zips[platform])


def test_oras_reads_a_pushed_module(app_config, registry, cli, tmp_path):
    module = write_module(str(tmp_path / "module"))
    r = run_push(app_config, "module", "--service", "modules", "acme/orasmod/aws", "0.3.0", module)
    assert r.returncode == 0, r.stderr
    ref = "%s/terraform-providers/acme/orasmod/aws:0.3.0" % host(registry)
    m = cli.json("manifest", "fetch", "--plain-http", ref)
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert m["artifactType"] == "application/vnd.opentofu.modulepkg"
    assert [l["mediaType"] for l in m["layers"]] == ["archive/zip"]
    out = tmp_path / "pulled"
    cli.run("pull", "--plain-http", "-o", str(out), ref)
    assert os.listdir(out) == ["orasmod-aws-0.3.0.zip"]
    assert sha256_file(out / "orasmod-aws-0.3.0.zip") == m["layers"][0]["digest"]
