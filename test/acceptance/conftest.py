"""Acceptance fixtures: the real OpenTofu CLI installing providers through the product over HTTPS.

The tools come from scripts/build-test-tools.sh (scripts/run-acceptance-tests.sh passes their paths in
OTR_TOFU and OTR_WIDGET_PROVIDER). Every server listens on a free 127.0.0.1 port and is stopped at the end.
"""

import io
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import ocipush  # noqa: E402
from gpgkeys import GpgKey  # noqa: E402,F401  (re-exported for the tests)
import servers  # noqa: E402

PREFIX = "terraform-providers/registry.terraform.io"
WIDGET_REPO = PREFIX + "/acme/widget"
# Published releases: "~> 1.0" must choose 1.1.0 and skip the newer prerelease.
WIDGET_VERSIONS = ("1.0.0", "1.1.0", "1.2.0-beta.1")
PLATFORMS = ("linux_amd64", "darwin_arm64", "windows_amd64")


def host_platform():
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return platform.system().lower() + "_" + arch


def executable_zip(entry_name, data):
    """A provider package: one executable entry, as terraform-provider-*_OS_ARCH.zip files are made."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(entry_name, (2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    return buf.getvalue()


class Tools:
    def __init__(self):
        missing = [v for v in ("OTR_TOFU", "OTR_TERRAFORM", "OTR_WIDGET_PROVIDER") if not os.environ.get(v)]
        if missing:
            raise pytest.UsageError("%s not set: run the acceptance tests with scripts/run-acceptance-tests.sh, "
                                    "which builds the tools and sets them" % ", ".join(missing))
        self.tofu = os.environ["OTR_TOFU"]
        self.terraform = os.environ["OTR_TERRAFORM"]
        self.widget = os.environ["OTR_WIDGET_PROVIDER"]


@pytest.fixture(scope="session")
def tools():
    return Tools()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return servers.reachable_by_web_servers(tmp_path_factory.mktemp("acceptance"))


@pytest.fixture(scope="session")
def tls(workdir):
    d = workdir / "tls"
    d.mkdir()
    return servers.make_tls(str(d))


class Widget:
    """What was published of acme/widget: version -> {platform: (zip digest, size, h1)}."""

    def __init__(self):
        self.releases = {}

    def hashes(self, version, platform_name):
        digest, _, h1 = self.releases[version][platform_name]
        return {h1, "zh:" + digest[len("sha256:"):]}


def publish_widget(registry_url, tools, ca_file=None, authorization=None, versions=WIDGET_VERSIONS):
    """Publishes acme/widget: the real provider for this machine's platform, small stand-ins for others."""
    push = ocipush.Registry(registry_url, authorization=authorization, ca_file=ca_file)
    with open(tools.widget, "rb") as f:
        binary = f.read()
    widget = Widget()
    for version in versions:
        entry = "terraform-provider-widget_v" + version
        packages = {}
        for p in set(PLATFORMS) | {host_platform()}:
            if p == host_platform():
                packages[p] = executable_zip(entry, binary)
            else:
                packages[p] = executable_zip(entry + (".exe" if p.startswith("windows") else ""),
                                             ("stand-in for %s %s\n" % (entry, p)).encode())
        widget.releases[version] = ocipush.push_opentofu_release(push, WIDGET_REPO, version, packages)
    return widget


@pytest.fixture(scope="session")
def registry(workdir, tls):
    """docker-registry over HTTPS (OpenTofu's own OCI client speaks nothing else), with the test certificate."""
    d = workdir / "registry"
    d.mkdir()
    reg = servers.DockerRegistry(str(d), tls=tls).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def widget(registry, tools, tls):
    return publish_widget(registry.url, tools, ca_file=tls[0])


TIMEOUTS = '  connect_timeout = "2s"\n  request_timeout = "5s"\n'


def mirror_services(registry_url, ca_file, services):
    """provider_mirror blocks, services: {name: proxy_packages}. Each aliases OpenTofu's default hostname."""
    return "".join('provider_mirror "%s" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                   '  proxy_packages = %s\n  host_aliases = { "registry.opentofu.org" = "registry.terraform.io" }\n'
                   '  origin_ca_file = "%s"\n}\n' % (name, registry_url, "true" if proxy else "false", ca_file)
                   for name, proxy in services.items())


@pytest.fixture(scope="session")
def app_config(workdir, registry, tls, widget):
    path = str(workdir / "config.hcl")
    with open(path, "w") as f:
        f.write(mirror_services(registry.url, tls[0], {"mirror": True, "direct": False}) +
                # Where `push module` publishes (a module_registry: provider services refuse modules).
                'module_registry "modules" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                '  origin_ca_file = "%s"\n}\n' % (registry.url, tls[0]) +
                servers.server_block(str(workdir), workers=2, extra=TIMEOUTS))
    os.chmod(path, 0o644)
    return path


@pytest.fixture(scope="session")
def nginx(workdir, app_config, tls):
    pool = servers.AppPool(str(workdir), app_config).start()
    d = workdir / "nginx"
    d.mkdir()
    server = servers.Nginx(str(d), pool.socket, tls).start()
    server.app_log = pool.log
    yield server
    server.stop()
    pool.stop()


@pytest.fixture(scope="session")
def lighttpd(workdir, app_config, tls):
    d = workdir / "lighttpd"
    d.mkdir()
    server = servers.Lighttpd(str(d), app_config, tls).start()
    server.app_log = server.log
    yield server
    server.stop()


@pytest.fixture(scope="session")
def apache(workdir, app_config, tls):
    d = workdir / "apache"
    d.mkdir()
    server = servers.Apache(str(d), app_config, tls).start()
    server.app_log = server.log
    yield server
    server.stop()


@pytest.fixture
def tofu_factory(tools, tls, tmp_path):
    """tofu_factory(cli_config) -> a Tofu with its own HOME under this test's temporary directory;
    tofu_factory(cli_config, terraform=True) runs HashiCorp Terraform instead."""
    count = [0]

    def make(cli_config, terraform=False):
        count[0] += 1
        return Tofu(tools.terraform if terraform else tools.tofu, str(tmp_path / ("home%d" % count[0])), tls[0],
                    cli_config)
    return make


class Tofu:
    """Runs the OpenTofu (or Terraform) CLI like a user would, in a directory of its own, with a CLI config file."""

    def __init__(self, binary, home, ca_file, cli_config):
        self.binary = binary
        self.home = home
        os.makedirs(home, exist_ok=True)
        self.cli_config = os.path.join(home, "tofu.rc")
        with open(self.cli_config, "w") as f:
            f.write(cli_config)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "TF_CLI_CONFIG_FILE": self.cli_config,
            "SSL_CERT_FILE": ca_file,          # the test CA, for Go's TLS
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
        }

    def run(self, cwd, *args, timeout=300, check=True):
        proc = subprocess.run([self.binary, *args], cwd=cwd, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("tofu %s failed (exit %d):\n%s\n%s" % (" ".join(args), proc.returncode,
                                                                      proc.stdout, proc.stderr))
        return proc


def mirror_cli_config(url):
    return 'provider_installation {\n  network_mirror {\n    url = "%s"\n  }\n}\n' % url


WIDGET_CONFIG = '''terraform {
  required_providers {
    widget = {
      source  = "acme/widget"
      version = "~> 1.0"
    }
  }
}

resource "widget_thing" "demo" {
  name = "demo"
}

output "greeting" {
  value = widget_thing.demo.greeting
}
'''


def project(directory, text=WIDGET_CONFIG):
    """A fresh root module directory holding main.tf."""
    os.makedirs(directory)
    with open(os.path.join(directory, "main.tf"), "w") as f:
        f.write(text)
    return directory


def copy_lock(source_dir, target_dir):
    shutil.copy(os.path.join(source_dir, ".terraform.lock.hcl"), target_dir)


def lock_entries(directory):
    """{provider address: (version, set of hashes)} from the directory's .terraform.lock.hcl."""
    with open(os.path.join(directory, ".terraform.lock.hcl")) as f:
        text = f.read()
    entries = {}
    for m in re.finditer(r'provider "([^"]+)" \{(.*?)\n\}', text, re.S):
        version = re.search(r'version\s*=\s*"([^"]+)"', m.group(2)).group(1)
        hashes_block = re.search(r"hashes\s*=\s*\[(.*?)\]", m.group(2), re.S)
        hashes = set(re.findall(r'"([^"]+)"', hashes_block.group(1))) if hashes_block else set()
        entries[m.group(1)] = (version, hashes)
    return entries


def plain(output):
    """CLI output without colours, box-drawing borders and line wrapping, for matching messages."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", output)
    text = re.sub("[\u2502\u2575\u2577]", " ", text)
    return " ".join(text.split())


def push(config, *args):
    """Runs `oci-distribution-terraform-registry --config CONFIG push ARGS...`, which must succeed."""
    proc = subprocess.run([servers.BINARY, "--config", config, "push", *args], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, "push %s failed:\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc


def widget_packages(directory, tools, version):
    """terraform-provider-widget_VERSION_OS_ARCH.zip: the real provider for this machine, stand-ins for others."""
    os.makedirs(directory, exist_ok=True)
    with open(tools.widget, "rb") as f:
        binary = f.read()
    paths = []
    for p in sorted(set(PLATFORMS) | {host_platform()}):
        entry = "terraform-provider-widget_v" + version + (".exe" if p.startswith("windows") else "")
        data = binary if p == host_platform() else ("stand-in for %s\n" % p).encode()
        path = os.path.join(directory, "terraform-provider-widget_%s_%s.zip" % (version, p))
        with open(path, "wb") as f:
            f.write(executable_zip(entry, data))
        paths.append(path)
    return paths


def fault_upstream(directory, tls, name, platforms):
    """A generator for module fixtures: a fake upstream (pullthrough.FakeUpstream) with acme/genuine (all
    well), acme/foreign (SHA256SUMS signed by a key it does not list) and acme/tampered (every zip differs
    from its SHA256SUMS line and its shasum; the signature is good), each 1.0.0 for `platforms`; yields the
    server (its publisher key as .publisher), then stops it and the keys."""
    from pullthrough import FakeUpstream
    publisher = GpgKey(directory, name + "-publisher")
    forger = GpgKey(directory, name + "-forger")
    server = FakeUpstream(tls)
    try:
        for address, signer, tampered in (("acme/genuine", publisher, False), ("acme/foreign", forger, False),
                                          ("acme/tampered", publisher, True)):
            type_ = address.split("/")[1]

            def packages(content):
                return {p: executable_zip("terraform-provider-%s_v1.0.0%s"
                                          % (type_, ".exe" if p.startswith("windows") else ""),
                                          ("#!/bin/sh\n# %s %s %s\n" % (content, type_, p)).encode())
                        for p in platforms}
            server.add(address, "1.0.0", packages("stand-in"), signer, publisher,
                       served=packages("tampered") if tampered else None)
        server.publisher = publisher
        yield server
    finally:
        server.stop()
        publisher.stop()
        forger.stop()
