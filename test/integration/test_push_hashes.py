"""`push hashes`: h1: added to a provider release published by hand with oras (as OpenTofu's
documentation describes), in docker-registry: the same zips, platforms and other annotations; a second
run writes nothing; a release that changes meanwhile is not replaced."""

import glob
import os
import signal
import subprocess

import pytest

import ocipush
import servers
from test_push import PREFIX, file_digest, file_h1, manifest, run_push, write_packages
from test_push_oras import Oras, host


@pytest.fixture
def cli(oras, tmp_path):
    return Oras(oras, str(tmp_path / "oras-home"))


def publish_by_hand(cli, registry, type_, zips, order=None):
    """Per platform `oras push` with OpenTofu's artifact type and the platform, then `oras manifest index
    create`: no h1: anywhere. Returns the repository."""
    repo = "%s/acme/%s" % (PREFIX, type_)
    ref = "%s/%s" % (host(registry), repo)
    for platform, path in zips.items():
        cli.run("push", "--plain-http", "--artifact-type", "application/vnd.opentofu.provider-target",
                "--artifact-platform", platform.replace("_", "/"), "%s:1.0.0-%s" % (ref, platform),
                "%s:archive/zip" % os.path.basename(path), cwd=os.path.dirname(path))
    cli.run("manifest", "index", "create", "--plain-http", "--artifact-type", "application/vnd.opentofu.provider",
            ref + ":1.0.0", *["1.0.0-" + p for p in (order or zips)])
    return repo


def platform_manifests(registry, repo, tag="1.0.0"):
    """{platform: (manifest, digest)} of the index a tag names."""
    index, _, _ = manifest(registry, repo, tag)
    out = {}
    for d in index["manifests"]:
        if d.get("artifactType") == ocipush.TARGET:
            m, digest, _ = manifest(registry, repo, d["digest"])
            out["%s_%s" % (d["platform"]["os"], d["platform"]["architecture"])] = (m, digest)
    return out


def stored_blobs(registry):
    """Every blob docker-registry holds (manifests are blobs there too)."""
    return {os.path.basename(os.path.dirname(p))
            for p in glob.glob(os.path.join(registry.storage, "docker/registry/v2/blobs/sha256/*/*/data"))}


def test_push_hashes_adds_what_push_provider_computes_and_keeps_the_rest(app_config, registry, cli, tmp_path):
    zips = write_packages(tmp_path / "dist", "byhand", "1.0.0")
    repo = publish_by_hand(cli, registry, "byhand", zips)
    before = platform_manifests(registry, repo)
    index_before, index_digest_before, _ = manifest(registry, repo, "1.0.0")
    assert all("annotations" not in m["layers"][0] or ocipush.H1_ANNOTATION not in m["layers"][0]["annotations"]
               for m, _ in before.values())
    blobs_before = stored_blobs(registry)

    r = run_push(app_config, "hashes", "--service", "mirror", "acme/byhand", "1.0.0")
    assert r.returncode == 0, r.stderr
    after = platform_manifests(registry, repo)
    index_after, index_digest_after, _ = manifest(registry, repo, "1.0.0")
    assert index_digest_after != index_digest_before
    assert "added h1: to 3 platforms" in r.stdout and index_digest_after in r.stdout
    # Written: the new platform manifests and the index, nothing else (the zips are not sent again).
    assert stored_blobs(registry) - blobs_before == {digest[7:] for _, digest in after.values()} | {
        index_digest_after[7:]}

    # What push provider computes for the same zips.
    pushed = write_packages(tmp_path / "again", "byhand", "1.0.0")
    assert run_push(app_config, "provider", "--service", "mirror", "other/byhand", "1.0.0",
                    *pushed.values()).returncode == 0
    by_push = platform_manifests(registry, "%s/other/byhand" % PREFIX)

    assert sorted(after) == sorted(zips)
    for platform, (m, _) in after.items():
        old = before[platform][0]
        h1 = file_h1(zips[platform])
        assert h1 == by_push[platform][0]["annotations"][ocipush.H1_ANNOTATION]
        assert m["annotations"][ocipush.H1_ANNOTATION] == h1
        assert m["layers"][0]["annotations"][ocipush.H1_ANNOTATION] == h1
        # Everything else as oras wrote it: the same zip blob, config, artifact type, other annotations.
        assert m["layers"][0]["digest"] == old["layers"][0]["digest"] == file_digest(zips[platform])
        assert m["config"] == old["config"]
        assert m["artifactType"] == old["artifactType"]
        assert {k: v for k, v in m["annotations"].items() if k != ocipush.H1_ANNOTATION} == old["annotations"]
        assert {k: v for k, v in m["layers"][0]["annotations"].items() if k != ocipush.H1_ANNOTATION} == \
            old["layers"][0]["annotations"]
    assert [(d["platform"], d["artifactType"]) for d in index_after["manifests"]] == \
        [(d["platform"], d["artifactType"]) for d in index_before["manifests"]]
    assert index_after["artifactType"] == index_before["artifactType"]

    # Again: nothing to do, nothing written.
    blobs = stored_blobs(registry)
    r = run_push(app_config, "hashes", "--service", "mirror", "acme/byhand", "1.0.0")
    assert r.returncode == 0, r.stderr
    assert "already carries its h1: hash; nothing to do" in r.stdout
    assert manifest(registry, repo, "1.0.0")[1] == index_digest_after
    assert stored_blobs(registry) == blobs


def test_push_hashes_refuses_a_release_that_changed_meanwhile(app_config, registry, cli, tmp_path):
    zips = write_packages(tmp_path / "dist", "moving", "1.0.0", platforms=("darwin_arm64",))
    big = tmp_path / "dist" / "terraform-provider-moving_1.0.0_linux_amd64.zip"
    big.write_bytes(ocipush.provider_zip("terraform-provider-moving_v1.0.0", size=48 << 20))
    zips["linux_amd64"] = str(big)  # hashed second: time to change the release meanwhile
    repo = publish_by_hand(cli, registry, "moving", zips)
    ref = "%s/%s" % (host(registry), repo)

    proc = subprocess.Popen([servers.BINARY, "--config", app_config, "push", "hashes", "--service", "mirror",
                             "--quiet", "acme/moving", "1.0.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        first = proc.stdout.readline()
        proc.send_signal(signal.SIGSTOP)  # while it downloads and hashes the big package
        assert first.split()[:1] == ["darwin_arm64"] and "h1 added" in first, first
        # Someone publishes 1.0.0 again: the same platforms, listed the other way round.
        cli.run("manifest", "index", "create", "--plain-http", "--artifact-type", "application/vnd.opentofu.provider",
                ref + ":1.0.0", "1.0.0-linux_amd64", "1.0.0-darwin_arm64")
        _, moved, _ = manifest(registry, repo, "1.0.0")
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, out + err
    assert "changed while push hashes ran" in err and moved in err
    assert manifest(registry, repo, "1.0.0")[1] == moved  # the other push stays
    assert all(ocipush.H1_ANNOTATION not in m.get("annotations", {}) for m, _ in platform_manifests(registry, repo).values())


def test_push_hashes_explains_what_it_cannot_do(app_config, registry, tmp_path):
    push = ocipush.Registry(registry.url)
    ocipush.push_legacy_release(push, PREFIX + "/acme/goformat", "1.0.0",
                                [(ocipush.provider_zip("terraform-provider-goformat_v1.0.0"), "linux_amd64")])
    r = run_push(app_config, "hashes", "--service", "mirror", "acme/goformat", "1.0.0")
    assert r.returncode == 1
    assert "original Go tool's layout" in r.stderr and "push hashes works on OpenTofu's layout" in r.stderr

    r = run_push(app_config, "hashes", "--service", "mirror", "acme/goformat", "9.9.9")
    assert r.returncode == 1
    assert "registry.terraform.io/acme/goformat 9.9.9 is not published at" in r.stderr

    r = run_push(app_config, "hashes", "--service", "mirror", "--force", "acme/goformat", "1.0.0")
    assert r.returncode == 64 and "push hashes takes only the target options" in r.stderr
    r = run_push(app_config, "hashes", "--service", "mirror", "--platform", "linux_amd64", "acme/goformat", "1.0.0")
    assert r.returncode == 64 and "push hashes takes only the target options" in r.stderr
    r = run_push(app_config, "hashes", "--service", "mirror", "acme/goformat")
    assert r.returncode == 64 and "push hashes needs ADDRESS VERSION" in r.stderr
    r = run_push(app_config, "hashes", "--service", "modules", "acme/goformat", "1.0.0")
    assert r.returncode == 64 and "providers go to a provider_mirror or a provider_registry" in r.stderr
