"""`push provider --from-mirror DIR`: every release of a directory in the packed layout that
`terraform providers mirror` / `tofu providers mirror` write, in one run; blobs shared between repositories
are mounted; hashes are checked against the mirror's own <version>.json."""

import json
import os
import shutil

import ocipush
from test_push import PREFIX, file_digest, file_h1, manifest, registry_get, registry_status, run_push

RELEASES = {  # (host, namespace, type) -> {version: [platforms]}
    ("registry.terraform.io", "hashicorp", "random"): {"3.2.0": ["linux_amd64", "darwin_arm64"],
                                                     "3.2.1": ["linux_amd64", "windows_amd64"]},
    ("registry.opentofu.org", "hashicorp", "random"): {"3.2.1": ["linux_amd64", "windows_amd64"]},
    ("example.com:8443", "acme", "widget"): {"0.1.0-beta.1": ["linux_arm64"]},
}


def write_mirror(directory):
    """A packed mirror as `providers mirror` writes it; the same zips under both public hostnames."""
    packages = {}
    for (host, ns, type_), versions in RELEASES.items():
        d = os.path.join(directory, host, ns, type_)
        os.makedirs(d)
        for version, platforms in versions.items():
            archives = {}
            for p in platforms:
                name = "terraform-provider-%s_%s_%s.zip" % (type_, version, p)
                data = ocipush.provider_zip("terraform-provider-%s_v%s" % (type_, version), seed=p)
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
                archives[p] = {"url": name, "hashes": [ocipush.h1_hash(data)]}
                packages[(host, ns, type_, version, p)] = os.path.join(d, name)
            with open(os.path.join(d, version + ".json"), "w") as f:
                json.dump({"archives": archives}, f)
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump({"versions": {v: {} for v in versions}}, f)
    return packages


def summary_lines(stdout):
    return [line for line in stdout.splitlines() if line.startswith("  ")]


def test_every_release_of_a_mirror_directory_in_one_run(app_config, registry, client, tmp_path):
    mirror = str(tmp_path / "mirror")
    packages = write_mirror(mirror)
    os.makedirs(os.path.join(mirror, "registry.terraform.io", "hashicorp", "random", "3.1.0", "linux_amd64"))
    r = run_push(app_config, "provider", "--service", "mirror", "--from-mirror", mirror)
    assert r.returncode == 0, r.stderr
    assert "4 of 4 releases from %s are published" % mirror in r.stdout
    assert "3.1.0: an unpacked provider directory, skipped" in r.stderr
    for release in ("registry.terraform.io/hashicorp/random 3.2.0", "registry.terraform.io/hashicorp/random 3.2.1",
                    "registry.opentofu.org/hashicorp/random 3.2.1", "example.com:8443/acme/widget 0.1.0-beta.1"):
        assert "published " + release in r.stdout
    # Both hostnames' 3.2.1 hold the very same zips: the second repository mounts them from the first
    # (registry.opentofu.org comes first in the run), nothing is sent twice.
    mounted = [line for line in summary_lines(r.stdout)
               if "3.2.1" in line and "mounted from terraform-providers/registry.opentofu.org/hashicorp/random" in line]
    assert len(mounted) == 2, r.stdout

    tofu_repo = "terraform-providers/registry.opentofu.org/hashicorp/random"
    index, _, _ = manifest(registry, tofu_repo, "3.2.1")
    for d in index["manifests"]:
        platform = d["platform"]["os"] + "_" + d["platform"]["architecture"]
        layer = manifest(registry, tofu_repo, d["digest"])[0]["layers"][0]
        path = packages[("registry.opentofu.org", "hashicorp", "random", "3.2.1", platform)]
        assert layer["digest"] == file_digest(path)
        _, _, blob = registry_get(registry, "/v2/%s/blobs/%s" % (tofu_repo, layer["digest"]), accept="*/*")
        with open(path, "rb") as f:
            assert blob == f.read()
    # A hostname with a port is stored as host_port.
    assert registry_status(registry, "/v2/terraform-providers/example.com_8443/acme/widget/manifests/0.1.0-beta.1") == 200

    doc = client.get("/direct/registry.terraform.io/hashicorp/random/3.2.0.json")
    assert doc.status == 200
    for p in ("linux_amd64", "darwin_arm64"):
        path = packages[("registry.terraform.io", "hashicorp", "random", "3.2.0", p)]
        assert set(doc.json()["archives"][p]["hashes"]) == {file_h1(path), "zh:" + file_digest(path)[7:]}

    again = run_push(app_config, "provider", "--service", "mirror", "--from-mirror", mirror)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("nothing to do") == 4


def test_a_damaged_mirror_publishes_nothing(app_config, registry, tmp_path):
    mirror = str(tmp_path / "mirror")
    packages = write_mirror(mirror)
    for path in packages.values():  # other provider names, so nothing collides with the test above
        d = os.path.dirname(path)
        if os.path.basename(d) == "random":
            shutil.rmtree(d, ignore_errors=True)
    victim = packages[("example.com:8443", "acme", "widget", "0.1.0-beta.1", "linux_arm64")]
    with open(victim, "wb") as f:
        f.write(ocipush.provider_zip("terraform-provider-widget_v0.1.0-beta.1", seed="tampered"))
    r = run_push(app_config, "provider", "--service", "mirror", "--name-prefix", "damaged", "--from-mirror", mirror)
    assert r.returncode == 65
    assert "the mirror directory is damaged" in r.stderr and os.path.basename(victim) in r.stderr
    assert registry_status(registry, "/v2/damaged/example.com_8443/acme/widget/tags/list") == 404


def test_from_mirror_bad_input(app_config, tmp_path):
    r = run_push(app_config, "provider", "--service", "mirror", "--from-mirror", str(tmp_path / "missing"))
    assert r.returncode == 64 and "is not a directory" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_push(app_config, "provider", "--service", "mirror", "--from-mirror", str(empty))
    assert r.returncode == 64 and "holds no provider packages" in r.stderr
    r = run_push(app_config, "provider", "--service", "mirror", "--from-mirror", str(empty), "acme/x", "1.0.0")
    assert r.returncode == 64 and "takes no ADDRESS" in r.stderr
    odd = tmp_path / "odd" / "registry.terraform.io" / "acme" / "widget"
    odd.mkdir(parents=True)
    (odd / "terraform-provider-gadget_1.0.0_linux_amd64.zip").write_bytes(ocipush.provider_zip("x"))
    r = run_push(app_config, "provider", "--service", "mirror", "--from-mirror", str(tmp_path / "odd"))
    assert r.returncode == 64 and "provider type \"gadget\" in the directory of registry.terraform.io/acme/widget" in r.stderr
