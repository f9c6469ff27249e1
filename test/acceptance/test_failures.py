"""Failure reporting: when the registry is down, `tofu init` fails promptly and names the mirror."""

import os
import time

import pytest

import servers
from conftest import TIMEOUTS, mirror_cli_config, mirror_services, plain, project, publish_widget


@pytest.fixture(scope="module")
def outage_stack(workdir, tls, tools):
    d = str(workdir / "outage")
    os.makedirs(d)
    registry = servers.DockerRegistry(d).start()
    publish_widget(registry.url, tools, versions=("1.1.0",))
    stack = servers.NginxStack(d, mirror_services(registry.url, tls[0], {"mirror": True}), tls, extra=TIMEOUTS)
    yield stack.nginx, registry
    stack.stop()
    registry.stop()


GADGET_CONFIG = '''terraform {
  required_providers {
    gadget = { source = "acme/gadget" }
  }
}
'''


def test_registry_stopped_init_fails_quickly_and_names_the_mirror(outage_stack, tofu_factory, tmp_path):
    nginx, registry = outage_stack
    mirror = nginx.url + "/mirror/"
    tofu = tofu_factory(mirror_cli_config(mirror))
    tofu.run(project(str(tmp_path / "before")), "init")  # works while the registry is up

    registry.stop()
    # A provider nobody asked for yet (no cached tag list): index.json answers 502 at once, and the
    # client says which mirror failed.
    started = time.monotonic()
    init = tofu.run(project(str(tmp_path / "gadget"), GADGET_CONFIG), "init", check=False, timeout=120)
    elapsed = time.monotonic() - started
    message = plain(init.stderr)
    print("tofu init failed after %.1f s: %s" % (elapsed, message))
    assert init.returncode == 1
    assert mirror + "registry.opentofu.org/acme/gadget/index.json" in message
    assert "502 Bad Gateway" in message

