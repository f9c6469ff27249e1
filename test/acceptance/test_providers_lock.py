"""`tofu providers lock -net-mirror` through the mirror records every platform, and the lock is enforced."""

import os

import pytest

from conftest import PLATFORMS, copy_lock, lock_entries, mirror_cli_config, plain, project

ADDRESS = "registry.opentofu.org/acme/widget"


@pytest.fixture
def locked(nginx, widget, tofu_factory, tmp_path):
    """A directory whose lock file `providers lock` wrote for three platforms through the mirror."""
    tofu = tofu_factory("")  # no provider_installation: -net-mirror alone says where to look
    work = project(str(tmp_path / "locked"))
    args = ["providers", "lock", "-net-mirror=%s/mirror/" % nginx.url] + ["-platform=" + p for p in PLATFORMS]
    tofu.run(work, *args)
    return work


def test_lock_records_hashes_for_all_three_platforms(locked, widget):
    version, hashes = lock_entries(locked)[ADDRESS]
    assert version == "1.1.0"
    for platform in PLATFORMS:
        digest, _, h1 = widget.releases["1.1.0"][platform]
        assert h1 in hashes, platform                       # computed by the client from each package
        assert "zh:" + digest[len("sha256:"):] in hashes, platform  # the zip digest the mirror served
    assert len(hashes) == 2 * len(PLATFORMS)


def test_a_clean_init_verifies_against_that_lock(locked, nginx, tofu_factory, tmp_path):
    tofu = tofu_factory(mirror_cli_config(nginx.url + "/mirror/"))
    work = project(str(tmp_path / "clean"))
    copy_lock(locked, work)
    before = open(os.path.join(work, ".terraform.lock.hcl")).read()
    init = tofu.run(work, "init")
    assert "Installed acme/widget v1.1.0" in init.stdout
    assert open(os.path.join(work, ".terraform.lock.hcl")).read() == before


def test_a_lock_that_does_not_match_is_refused(locked, nginx, widget, tofu_factory, tmp_path):
    work = project(str(tmp_path / "tampered"))
    copy_lock(locked, work)
    lock_path = os.path.join(work, ".terraform.lock.hcl")
    text = open(lock_path).read()
    for platform in widget.releases["1.1.0"]:
        digest, _, h1 = widget.releases["1.1.0"][platform]
        text = text.replace(h1, "h1:" + "A" * 43 + "=").replace(digest[len("sha256:"):], "0" * 64)
    with open(lock_path, "w") as f:
        f.write(text)
    tofu = tofu_factory(mirror_cli_config(nginx.url + "/mirror/"))
    init = tofu.run(work, "init", check=False)
    assert init.returncode == 1
    assert "checksums previously recorded in the dependency lock file" in plain(init.stderr)
