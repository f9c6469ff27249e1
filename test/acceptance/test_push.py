"""What `push` publishes, installed by the real OpenTofu CLI:
- a provider pushed into the HTTPS registry, installed through the mirror (network_mirror) and applied;
- a module pushed into the same registry, installed natively with an oci:// source;
- the air gap: a packed provider mirror directory (which OpenTofu installs from as a filesystem_mirror),
  turned into an OCI image layout by `push --from-mirror`, served by a file:// service behind nginx to
  `tofu init`."""

import json
import os

import pytest

import servers
from conftest import host_platform, lock_entries, mirror_cli_config, project, push, widget_packages
import ocipush

PUSHED_CONFIG = '''terraform {
  required_providers {
    widget = {
      source  = "%s"
      version = "%s"
    }
  }
}

resource "widget_thing" "demo" {
  name = "pushed"
}

output "greeting" {
  value = widget_thing.demo.greeting
}
'''


def h1_of(path):
    with open(path, "rb") as f:
        return ocipush.h1_hash(f.read())


def test_tofu_installs_a_pushed_provider_through_the_mirror(nginx, app_config, tools, tofu_factory, tmp_path):
    zips = widget_packages(str(tmp_path / "dist"), tools, "2.0.0")
    push(app_config, "provider", "--service", "mirror", "pushed/widget", "2.0.0", *zips)
    tofu = tofu_factory(mirror_cli_config(nginx.url + "/mirror/"))
    work = project(str(tmp_path / "work"), PUSHED_CONFIG % ("pushed/widget", "2.0.0"))
    init = tofu.run(work, "init")
    assert "Installed pushed/widget v2.0.0" in init.stdout
    version, hashes = lock_entries(work)["registry.opentofu.org/pushed/widget"]
    assert version == "2.0.0"
    mine = next(z for z in zips if z.endswith(host_platform() + ".zip"))
    assert h1_of(mine) in hashes  # the h1: push computed is the one OpenTofu computes
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, pushed"


def test_tofu_installs_a_pushed_module_from_oci(registry, app_config, tofu_factory, tmp_path):
    module = tmp_path / "module"
    (module / "modules" / "inner").mkdir(parents=True)
    (module / "main.tf").write_text('variable "who" {\n  type = string\n}\n\n'
                                    'module "inner" {\n  source = "./modules/inner"\n  who = var.who\n}\n\n'
                                    'output "message" {\n  value = module.inner.message\n}\n')
    (module / "modules" / "inner" / "main.tf").write_text(
        'variable "who" {\n  type = string\n}\n\noutput "message" {\n  value = "hello, ${var.who}, from OCI"\n}\n')
    (module / ".terraform").mkdir()
    (module / ".terraform" / "junk").write_text("not published")
    push(app_config, "module", "--service", "modules", "acme/greeting/null", "1.3.0", str(module))

    host = registry.url.split("://", 1)[1]
    work = project(str(tmp_path / "work"),
                   'module "greeting" {\n  source = "oci://%s/terraform-providers/acme/greeting/null?tag=1.3.0"\n'
                   '  who = "tofu"\n}\n\noutput "message" {\n  value = module.greeting.message\n}\n' % host)
    tofu = tofu_factory("")
    init = tofu.run(work, "init")
    assert "greeting" in init.stdout
    installed = os.path.join(work, ".terraform", "modules", "greeting")
    assert sorted(os.listdir(installed)) == ["main.tf", "modules"]  # no .terraform from the source tree
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "message").stdout == "hello, tofu, from OCI"


@pytest.fixture(scope="module")
def airgap(workdir, registry, tls):
    """A file:// service ("airgap") on its own worker pool behind nginx, over an initially empty layout."""
    d = workdir / "airgap"
    d.mkdir()
    layout = str(d / "layout")
    stack = servers.NginxStack(str(d), 'provider_mirror "airgap" {\n  origin_url = "file://%s"\n'
                                       '  name_prefix = "terraform-providers"\n}\n' % layout, tls)
    yield stack.nginx, stack.config, layout
    stack.stop()


def write_packed_mirror(directory, tools, version):
    """The packed layout `tofu providers mirror` writes (it needs the origin registry, which a test without
    the Internet cannot reach), with the real provider for this machine."""
    d = os.path.join(directory, "registry.opentofu.org", "acme", "widget")
    zips = widget_packages(d, tools, version)
    archives = {os.path.basename(z)[len("terraform-provider-widget_%s_" % version):-4]:
                {"url": os.path.basename(z), "hashes": [h1_of(z)]} for z in zips}
    with open(os.path.join(d, version + ".json"), "w") as f:
        json.dump({"archives": archives}, f)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"versions": {version: {}}}, f)
    return zips


def test_air_gap_from_a_packed_mirror_to_an_oci_layout(airgap, tools, tofu_factory, tmp_path):
    server, config, layout = airgap
    carried = str(tmp_path / "carried")
    zips = write_packed_mirror(carried, tools, "3.1.0")
    mine = next(z for z in zips if z.endswith(host_platform() + ".zip"))

    # The directory is one OpenTofu itself installs from (filesystem_mirror): the format is right.
    fs_tofu = tofu_factory('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' % carried)
    reference = project(str(tmp_path / "reference"), PUSHED_CONFIG % ("acme/widget", "3.1.0"))
    fs_tofu.run(reference, "init")
    _, reference_hashes = lock_entries(reference)["registry.opentofu.org/acme/widget"]

    # Into the layout, through the air-gapped service's own configuration; a second run has nothing to do.
    first = push(config, "provider", "--service", "airgap", "--from-mirror", carried)
    assert "1 of 1 releases" in first.stdout
    assert "nothing to do" in push(config, "provider", "--service", "airgap", "--from-mirror", carried).stdout
    assert os.path.exists(os.path.join(layout, "index.json"))

    # Inside: OpenTofu installs from the layout through the file:// service, with the same hashes.
    inside = tofu_factory(mirror_cli_config(server.url + "/airgap/"))
    work = project(str(tmp_path / "inside"), PUSHED_CONFIG % ("acme/widget", "3.1.0"))
    init = inside.run(work, "init")
    assert "Installed acme/widget v3.1.0" in init.stdout
    _, hashes = lock_entries(work)["registry.opentofu.org/acme/widget"]
    assert h1_of(mine) in hashes and reference_hashes <= hashes
    inside.run(work, "apply", "-auto-approve")
    assert inside.run(work, "output", "-raw", "greeting").stdout == "hello, pushed"
