"""`push module`: a directory (zipped deterministically) or a zip into docker-registry, in OpenTofu's module
layout, read back from the registry; re-push, conflict, --force and bad input."""

import io
import json
import os
import zipfile

from test_push import manifest, registry_get, registry_status, run_push

MODULE_REPO = "terraform-providers/acme/network/aws"  # <name_prefix>/<namespace>/<name>/<system>


def write_module(directory, variant=""):
    os.makedirs(os.path.join(directory, "modules", "sub"), exist_ok=True)
    os.makedirs(os.path.join(directory, ".terraform", "modules"), exist_ok=True)
    os.makedirs(os.path.join(directory, ".git"), exist_ok=True)
    files = {
        "main.tf": 'output "greeting" {\n  value = "hello from the module%s"\n}\n' % variant,
        "modules/sub/main.tf": "# a nested module\n",
        ".terraform/modules/modules.json": "{}",
        ".git/HEAD": "ref: refs/heads/main\n",
    }
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
    return directory


def layer_zip(registry, repo, tag):
    m, digest, _ = manifest(registry, repo, tag)
    assert len(m["layers"]) == 1
    _, _, blob = registry_get(registry, "/v2/%s/blobs/%s" % (repo, m["layers"][0]["digest"]), accept="*/*")
    return m, digest, zipfile.ZipFile(io.BytesIO(blob))


def test_module_directory_is_published_in_opentofus_layout(app_config, registry, tmp_path):
    module = write_module(str(tmp_path / "module"))
    r = run_push(app_config, "module", "--service", "modules", "acme/network/aws", "1.0.0", module)
    assert r.returncode == 0, r.stderr
    assert "published module acme/network/aws 1.0.0" in r.stdout
    m, _, z = layer_zip(registry, MODULE_REPO, "1.0.0")
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert m["artifactType"] == "application/vnd.opentofu.modulepkg"
    assert m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json" and m["config"]["size"] == 2
    assert m["layers"][0]["mediaType"] == "archive/zip"
    assert m["layers"][0]["annotations"]["org.opencontainers.image.title"] == "network-aws-1.0.0.zip"
    assert m["annotations"]["org.opencontainers.image.version"] == "1.0.0"
    assert z.namelist() == ["main.tf", "modules/", "modules/sub/", "modules/sub/main.tf"]
    assert b"hello from the module" in z.read("main.tf")
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())

    # Same tree, touched: the same bytes, so nothing to do.
    os.utime(os.path.join(module, "main.tf"), (1, 1))
    _, digest, _ = manifest(registry, MODULE_REPO, "1.0.0")
    again = run_push(app_config, "module", "--service", "modules", "acme/network/aws", "1.0.0", module)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout
    assert manifest(registry, MODULE_REPO, "1.0.0")[1] == digest

    write_module(module, variant=" v2")
    refused = run_push(app_config, "module", "--service", "modules", "acme/network/aws", "1.0.0", module)
    assert refused.returncode == 1 and "different content" in refused.stderr and "--force" in refused.stderr
    assert manifest(registry, MODULE_REPO, "1.0.0")[1] == digest
    forced = run_push(app_config, "module", "--service", "modules", "--force", "acme/network/aws", "1.0.0", module)
    assert forced.returncode == 0, forced.stderr
    assert b"v2" in layer_zip(registry, MODULE_REPO, "1.0.0")[2].read("main.tf")


def test_module_zip_is_published_as_is(app_config, registry, tmp_path):
    path = str(tmp_path / "network.zip")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("main.tf", "# zipped by hand\n")
    r = run_push(app_config, "module", "--service", "modules", "acme/network/aws", "2.0.0-rc.1+build.5", path)
    assert r.returncode == 0, r.stderr
    m, _, z = layer_zip(registry, MODULE_REPO, "2.0.0-rc.1_build.5")
    with open(path, "rb") as f:
        import hashlib
        assert m["layers"][0]["digest"] == "sha256:" + hashlib.sha256(f.read()).hexdigest()
    assert m["layers"][0]["annotations"]["org.opencontainers.image.title"] == "network.zip"
    _, _, tags = registry_get(registry, "/v2/%s/tags/list" % MODULE_REPO, accept="application/json")
    assert "2.0.0-rc.1_build.5" in json.loads(tags)["tags"]


def test_module_bad_input(app_config, registry, tmp_path):
    module = write_module(str(tmp_path / "m"))
    empty = tmp_path / "empty"
    empty.mkdir()
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("x")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK but not really")
    cases = [
        (["acme/network", "1.0.0", module], 64, "NAMESPACE/NAME/SYSTEM"),
        (["acme/bad/aws", "latest", module], 64, "\"latest\" is not a version"),
        (["acme/bad/aws", "1.0.0", str(tmp_path / "missing")], 64, "no such file or directory"),
        (["acme/bad/aws", "1.0.0", str(empty)], 64, "holds no files"),
        (["acme/bad/aws", "1.0.0", str(not_zip)], 64, "neither a module directory nor a .zip file"),
        (["acme/bad/aws", "1.0.0", str(broken)], 65, "not a valid zip archive"),
        (["acme/bad/aws", "1.0.0"], 64, "needs NAMESPACE/NAME/SYSTEM VERSION DIR|ZIP"),
    ]
    for args, status, message in cases:
        r = run_push(app_config, "module", "--service", "modules", *args)
        assert r.returncode == status, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
    assert registry_status(registry, "/v2/terraform-providers/acme/bad/aws/tags/list") == 404
