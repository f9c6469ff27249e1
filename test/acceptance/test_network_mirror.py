"""OpenTofu installs providers through the mirror (network_mirror) behind each web server, with TLS."""

import os

import pytest

from conftest import host_platform, lock_entries, mirror_cli_config, project

ADDRESS = "registry.opentofu.org/acme/widget"


@pytest.mark.parametrize("frontend,service", [("nginx", "direct"), ("nginx", "mirror"), ("apache", "mirror"),
                                              ("lighttpd", "mirror")])
def test_init_and_apply_through_the_mirror(request, frontend, service, widget, tofu_factory, tmp_path):
    server = request.getfixturevalue(frontend)
    tofu = tofu_factory(mirror_cli_config("%s/%s/" % (server.url, service)))
    work = project(str(tmp_path / "work"))

    init = tofu.run(work, "init")
    assert "Installed acme/widget v1.1.0" in init.stdout   # "~> 1.0" skips 1.2.0-beta.1
    version, hashes = lock_entries(work)[ADDRESS]
    assert version == "1.1.0"
    # The lock file holds what the mirror served for this platform, and nothing it did not serve.
    assert widget.hashes("1.1.0", host_platform()) <= hashes
    served = set().union(*(widget.hashes("1.1.0", p) for p in widget.releases["1.1.0"]))
    assert hashes <= served

    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"
    assert os.path.exists(os.path.join(work, "terraform.tfstate"))


def test_terraform_installs_through_the_mirror(nginx, widget, tofu_factory, tmp_path):
    """HashiCorp Terraform asks for registry.terraform.io/...: the stored copy answers it unaliased."""
    terraform = tofu_factory(mirror_cli_config(nginx.url + "/mirror/"), terraform=True)
    work = project(str(tmp_path / "work"))
    init = terraform.run(work, "init")
    assert "Installed acme/widget v1.1.0" in init.stdout
    version, hashes = lock_entries(work)["registry.terraform.io/acme/widget"]
    assert version == "1.1.0"
    _, _, h1 = widget.releases["1.1.0"][host_platform()]
    assert h1 in hashes  # Terraform records the h1: it computed, which matches the one the mirror served
    terraform.run(work, "apply", "-auto-approve")
    assert terraform.run(work, "output", "-raw", "greeting").stdout == "hello, demo"
