"""Format cross-check: OpenTofu's own `oci_mirror` installation method, pointed straight at the registry,
installs the same content the product serves, so our artifacts and OpenTofu's expectations agree."""

from conftest import host_platform, lock_entries, project

ADDRESS = "registry.opentofu.org/acme/widget"


def test_opentofu_installs_the_same_release_straight_from_oci(registry, widget, tofu_factory, tmp_path):
    host = registry.url.split("://", 1)[1]
    tofu = tofu_factory(
        'provider_installation {\n  oci_mirror {\n'
        '    repository_template = "%s/terraform-providers/registry.terraform.io/${namespace}/${type}"\n'
        '    include = ["registry.opentofu.org/*/*"]\n  }\n}\n' % host)
    work = project(str(tmp_path / "work"))
    init = tofu.run(work, "init")
    assert "Installed acme/widget v1.1.0" in init.stdout
    version, hashes = lock_entries(work)[ADDRESS]
    assert version == "1.1.0"
    assert widget.hashes("1.1.0", host_platform()) <= hashes
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"
