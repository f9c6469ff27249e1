"""`push provider`: publishing into Debian's docker-registry, read back from the registry and served by the
mirror (behind nginx), re-pushed (a no-op), conflicting (refused, then --force), and bad input."""

import hashlib
import json
import os
import subprocess
import urllib.request

import pytest

import ocipush
import servers

PREFIX = "terraform-providers/registry.terraform.io"
PLATFORMS = ("darwin_arm64", "linux_amd64", "windows_amd64")


def run_push(config, *args, stdin=None):
    return subprocess.run([servers.BINARY, "--config", config, "push", *args], capture_output=True, text=True,
                          input=stdin, timeout=120)


def write_packages(directory, type_, version, platforms=PLATFORMS, seed=""):
    """terraform-provider-TYPE_VERSION_OS_ARCH.zip files; returns {platform: path}."""
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for p in platforms:
        path = os.path.join(str(directory), "terraform-provider-%s_%s_%s.zip" % (type_, version, p))
        with open(path, "wb") as f:
            f.write(ocipush.provider_zip("terraform-provider-%s_v%s" % (type_, version), seed=p + seed))
        paths[p] = path
    return paths


def registry_get(registry, path, accept=ocipush.INDEX + ", " + ocipush.MANIFEST):
    req = urllib.request.Request(registry.url + path, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers, r.read()


def registry_status(registry, path):
    try:
        return registry_get(registry, path)[0]
    except urllib.error.HTTPError as e:
        return e.code


def manifest(registry, repo, ref):
    _, headers, body = registry_get(registry, "/v2/%s/manifests/%s" % (repo, ref))
    return json.loads(body), headers["Docker-Content-Digest"], body


def file_digest(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


def file_h1(path):
    with open(path, "rb") as f:
        return ocipush.h1_hash(f.read())


def test_pushed_release_has_opentofus_layout(app_config, registry, tmp_path):
    zips = write_packages(tmp_path, "layout", "1.0.0")
    r = run_push(app_config, "provider", "--service", "mirror", "--source", "https://example.com/acme/layout",
                 "acme/layout", "1.0.0", *zips.values())
    assert r.returncode == 0, r.stderr
    for p in PLATFORMS:  # one summary line per platform, then the result
        assert any(line.split()[:1] == [p] and "uploaded" in line and file_h1(zips[p]) in line
                   for line in r.stdout.splitlines()), r.stdout
    assert "published registry.terraform.io/acme/layout 1.0.0 (3 platforms)" in r.stdout

    repo = PREFIX + "/acme/layout"
    index, _, _ = manifest(registry, repo, "1.0.0")
    assert index["mediaType"] == ocipush.INDEX
    assert index["artifactType"] == ocipush.PROVIDER
    assert index["annotations"]["org.opencontainers.image.version"] == "1.0.0"
    assert index["annotations"]["org.opencontainers.image.source"] == "https://example.com/acme/layout"
    assert sorted(d["platform"]["os"] + "_" + d["platform"]["architecture"] for d in index["manifests"]) == list(PLATFORMS)
    for d in index["manifests"]:
        platform = d["platform"]["os"] + "_" + d["platform"]["architecture"]
        assert d["artifactType"] == ocipush.TARGET and d["mediaType"] == ocipush.MANIFEST
        m, digest, body = manifest(registry, repo, d["digest"])
        assert digest == d["digest"] and len(body) == d["size"]
        assert m["artifactType"] == ocipush.TARGET
        assert m["config"] == {"mediaType": ocipush.EMPTY, "digest": ocipush.sha256_digest(b"{}"), "size": 2}
        assert len(m["layers"]) == 1
        layer = m["layers"][0]
        assert layer["mediaType"] == "archive/zip"
        assert layer["digest"] == file_digest(zips[platform])
        assert layer["size"] == os.path.getsize(zips[platform])
        name = os.path.basename(zips[platform])
        assert layer["annotations"] == {"org.opencontainers.image.title": name,
                                        ocipush.H1_ANNOTATION: file_h1(zips[platform])}
        assert m["annotations"][ocipush.H1_ANNOTATION] == file_h1(zips[platform])
        assert m["annotations"]["org.opencontainers.image.title"] == name
        assert m["annotations"]["org.opencontainers.image.version"] == "1.0.0"
        assert m["annotations"]["org.opencontainers.image.created"].endswith("Z")
        _, _, blob = registry_get(registry, "/v2/%s/blobs/%s" % (repo, layer["digest"]), accept="*/*")
        with open(zips[platform], "rb") as f:
            assert blob == f.read()
    # Platform manifests are pushed by digest: the only tag is the version.
    _, _, tags = registry_get(registry, "/v2/%s/tags/list" % repo, accept="application/json")
    assert json.loads(tags)["tags"] == ["1.0.0"]


def test_mirror_serves_the_pushed_release_with_h1_and_zh(app_config, client, tmp_path):
    zips = write_packages(tmp_path, "served", "2.1.0")
    r = run_push(app_config, "provider", "--service", "mirror", "acme/served", "2.1.0", *zips.values())
    assert r.returncode == 0, r.stderr
    index = client.get("/mirror/registry.terraform.io/acme/served/index.json")
    assert index.status == 200 and index.json() == {"versions": {"2.1.0": {}}}
    doc = client.get("/mirror/registry.opentofu.org/acme/served/2.1.0.json")
    assert doc.status == 200
    archives = doc.json()["archives"]
    assert sorted(archives) == list(PLATFORMS)
    for p, path in zips.items():
        assert set(archives[p]["hashes"]) == {file_h1(path), "zh:" + file_digest(path)[len("sha256:"):]}
        download = client.get(archives[p]["url"])
        assert download.status == 200
        with open(path, "rb") as f:
            assert download.body == f.read()


def test_repush_of_identical_content_is_a_no_op(app_config, registry, tmp_path):
    zips = write_packages(tmp_path, "again", "1.0.0+ent")
    first = run_push(app_config, "provider", "--service", "mirror", "acme/again", "1.0.0+ent", *zips.values())
    assert first.returncode == 0, first.stderr
    repo = PREFIX + "/acme/again"
    _, digest, _ = manifest(registry, repo, "1.0.0_ent")  # '+' is written '_' in tags
    again = run_push(app_config, "provider", "--service", "mirror", "acme/again", "1.0.0+ent", *zips.values())
    assert again.returncode == 0, again.stderr
    assert "already published with identical packages" in again.stdout
    assert "nothing to do" in again.stdout
    assert manifest(registry, repo, "1.0.0_ent")[1] == digest  # not even a new created time


def test_conflicting_repush_is_refused_unless_forced(app_config, registry, tmp_path):
    zips = write_packages(tmp_path / "a", "conflict", "1.0.0")
    assert run_push(app_config, "provider", "--service", "mirror", "acme/conflict", "1.0.0", *zips.values()).returncode == 0
    repo = PREFIX + "/acme/conflict"
    _, digest, _ = manifest(registry, repo, "1.0.0")

    changed = dict(zips)
    changed["linux_amd64"] = write_packages(tmp_path / "b", "conflict", "1.0.0", ["linux_amd64"], seed="rebuilt")["linux_amd64"]
    refused = run_push(app_config, "provider", "--service", "mirror", "acme/conflict", "1.0.0", *changed.values())
    assert refused.returncode == 1
    assert "already published" in refused.stderr and "different content" in refused.stderr
    assert "linux_amd64: published package sha256:" in refused.stderr
    assert "--force" in refused.stderr
    assert manifest(registry, repo, "1.0.0")[1] == digest

    fewer = run_push(app_config, "provider", "--service", "mirror", "acme/conflict", "1.0.0", zips["linux_amd64"])
    assert fewer.returncode == 1 and "darwin_arm64: published, but not in this push" in fewer.stderr

    forced = run_push(app_config, "provider", "--service", "mirror", "--force", "acme/conflict", "1.0.0",
                      *changed.values())
    assert forced.returncode == 0, forced.stderr
    assert "replaced registry.terraform.io/acme/conflict 1.0.0" in forced.stdout
    lines = {line.split()[0]: line for line in forced.stdout.splitlines() if line.startswith("  ")}
    assert "already present" in lines["darwin_arm64"] and "already present" in lines["windows_amd64"]
    assert "uploaded" in lines["linux_amd64"]
    index, new_digest, _ = manifest(registry, repo, "1.0.0")
    assert new_digest != digest
    linux = next(d for d in index["manifests"] if d["platform"]["os"] == "linux")
    assert manifest(registry, repo, linux["digest"])[0]["layers"][0]["digest"] == file_digest(changed["linux_amd64"])


def test_nothing_is_published_when_a_package_is_corrupt(app_config, registry, tmp_path):
    zips = write_packages(tmp_path, "broken", "1.0.0")
    with open(zips["windows_amd64"], "wb") as f:
        f.write(b"not a zip at all")
    r = run_push(app_config, "provider", "--service", "mirror", "acme/broken", "1.0.0", *zips.values())
    assert r.returncode == 65
    assert "not a valid zip archive" in r.stderr and "windows_amd64" in r.stderr
    assert registry_status(registry, "/v2/%s/acme/broken/manifests/1.0.0" % PREFIX) == 404


@pytest.mark.parametrize("args, message", [
    (["acme/bad", "1.0.0", "{dir}/missing/terraform-provider-bad_1.0.0_linux_amd64.zip"], "no such file"),
    (["acme/bad", "1.0.0", "{dir}/bad_linux_amd64.zip"], "expected terraform-provider-TYPE_VERSION_OS_ARCH.zip"),
    (["acme/bad", "1.0.0", "{dir}/terraform-provider-bad_1.0.0_linux_amd64.zip",
      "{dir}/again/terraform-provider-bad_1.0.0_linux_amd64.zip"], "platform linux_amd64 is given twice"),
    (["acme/other", "1.0.0", "{dir}/terraform-provider-bad_1.0.0_linux_amd64.zip"], "provider type \"bad\", not \"other\""),
    (["acme/bad", "1.0.1", "{dir}/terraform-provider-bad_1.0.0_linux_amd64.zip"], "version 1.0.0, not 1.0.1"),
    (["acme/bad", "v1", "{dir}/terraform-provider-bad_1.0.0_linux_amd64.zip"], "\"v1\" is not a version"),
    (["bad", "1.0.0", "{dir}/terraform-provider-bad_1.0.0_linux_amd64.zip"], "NAMESPACE/TYPE"),
    (["acme/bad", "1.0.0"], "needs ADDRESS VERSION ZIP"),
])
def test_bad_input_is_a_usage_error(app_config, registry, tmp_path, args, message):
    write_packages(tmp_path, "bad", "1.0.0", ["linux_amd64"])
    write_packages(tmp_path / "again", "bad", "1.0.0", ["linux_amd64"])
    with open(tmp_path / "bad_linux_amd64.zip", "wb") as f:
        f.write(ocipush.provider_zip("x"))
    r = run_push(app_config, "provider", "--service", "mirror", *[a.format(dir=tmp_path) for a in args])
    assert r.returncode == 64, r.stdout + r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert registry_status(registry, "/v2/%s/acme/bad/tags/list" % PREFIX) == 404


def test_a_push_into_a_service_of_the_other_kind_is_refused(app_config, registry, tmp_path):
    """Once a module went into the provider mirror's prefix, where no module_registry ever looks."""
    from test_push_module import write_module
    module = write_module(str(tmp_path / "module"))
    r = run_push(app_config, "module", "--service", "mirror", "acme/misplaced/aws", "1.0.0", module)
    assert r.returncode == 64
    assert ('"mirror" is a provider_mirror, which serves providers; modules go to a module_registry (here: modules)'
            in r.stderr), r.stderr
    assert registry_status(registry, "/v2/terraform-providers/acme/misplaced/aws/tags/list") == 404
    zips = write_packages(tmp_path, "misplaced", "1.0.0", ["linux_amd64"])
    r = run_push(app_config, "provider", "--service", "modules", "acme/misplaced", "1.0.0", *zips.values())
    assert r.returncode == 64
    assert ('"modules" is a module_registry, which serves modules; providers go to a provider_mirror or a '
            'provider_registry (here: mirror, direct)' in r.stderr), r.stderr


def test_unknown_service_and_missing_destination(app_config, tmp_path):
    zips = write_packages(tmp_path, "svc", "1.0.0", ["linux_amd64"])
    r = run_push(app_config, "provider", "--service", "nope", "acme/svc", "1.0.0", *zips.values())
    assert r.returncode == 64
    assert "--service nope: no such service" in r.stderr and "mirror, direct" in r.stderr
    r = run_push(app_config, "provider", "acme/svc", "1.0.0", *zips.values())
    assert r.returncode == 64 and "--service NAME" in r.stderr
    r = run_push(app_config, "widget")
    assert r.returncode == 64 and "expected provider, module or hashes" in r.stderr


def test_a_registry_that_is_down_is_a_clear_error(workdir, tmp_path):
    config = str(tmp_path / "down.hcl")
    servers.write_app_config(config, "http://127.0.0.1:%d" % servers.free_port())
    zips = write_packages(tmp_path, "down", "1.0.0", ["linux_amd64"])
    r = run_push(config, "provider", "--service", "mirror", "acme/down", "1.0.0", *zips.values())
    assert r.returncode == 1
    assert "registry unreachable" in r.stderr


def test_progress_bars_on_a_terminal_and_plain_lines_otherwise(app_config, tmp_path):
    import pty
    import select
    big = tmp_path / "terraform-provider-progress_1.0.0_linux_amd64.zip"
    with open(big, "wb") as f:
        f.write(ocipush.provider_zip("terraform-provider-progress_v1.0.0", size=8 << 20, seed=str(tmp_path)))
    master, slave = pty.openpty()
    proc = subprocess.Popen([servers.BINARY, "--config", app_config, "push", "provider", "--service", "mirror",
                             "acme/progress", "1.0.0", str(big)], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    terminal = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        assert ready, "no output on the terminal"
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        terminal += chunk
    stdout = proc.stdout.read().decode()
    assert proc.wait(60) == 0
    os.close(master)
    text = terminal.decode()
    assert "\rlinux_amd64 [" in text and "8.0 MiB / 8.0 MiB" in text and "#" * 30 in text
    assert "\x1b[K" in text  # the bar is cleared before summary lines
    assert "linux_amd64  terraform-provider-progress_1.0.0_linux_amd64.zip  8.0 MiB  uploaded" in stdout

    # Not a terminal (and --quiet): summary lines only, no bar anywhere.
    plain = run_push(app_config, "provider", "--service", "mirror", "--force", "acme/progress", "1.0.0", str(big))
    assert plain.returncode == 0 and "[#" not in plain.stderr + plain.stdout and "\r" not in plain.stderr


def test_a_registry_that_refuses_is_named_with_its_reason(workdir, tmp_path):
    d = str(tmp_path / "readonly")
    os.makedirs(d)
    registry = servers.DockerRegistry(d)
    with open(registry.config) as f:
        text = f.read()
    with open(registry.config, "w") as f:  # storage in maintenance: reads work, writes are refused
        f.write(text.replace("  delete:\n    enabled: true\n",
                             "  delete:\n    enabled: true\n  maintenance:\n    readonly:\n      enabled: true\n"))
    registry.start()
    try:
        config = str(tmp_path / "ro.hcl")
        servers.write_app_config(config, registry.url)
        zips = write_packages(tmp_path, "readonly", "1.0.0", ["linux_amd64"])
        r = run_push(config, "provider", "--service", "mirror", "acme/readonly", "1.0.0", *zips.values())
        assert r.returncode == 1
        assert "the registry refused it (status 405): Method not allowed" in r.stderr, r.stderr
        assert r.stderr.count("\n") == 1  # one clear line, no noise
    finally:
        registry.stop()
