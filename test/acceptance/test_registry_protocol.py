"""The provider and module registry protocols with service discovery and signed checksums.

nginx (TLS) -> the program -> docker-registry. The clients find the services through
https://localhost:PORT/.well-known/terraform.json.
"""

import hashlib
import io
import json
import os
import shutil
import urllib.parse
import zipfile

import pytest

import ocipush
import servers
from conftest import (PLATFORMS, GpgKey, executable_zip, host_platform, lock_entries, plain, project, push,
                      widget_packages)

PREFIX = "terraform-providers/registry.terraform.io"
MODULE_REPO = "terraform-modules/acme/net/aws"
MODULE_VERSIONS = ("1.0.0", "1.1.0", "2.0.0")


def module_zip(version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("main.tf", (2024, 1, 1, 0, 0, 0)),
                   'variable "prefix" {\n  type = string\n}\n\n'
                   'output "name" {\n  value = "${var.prefix}-net-aws-%s"\n}\n' % version)
        z.writestr(zipfile.ZipInfo("README.md", (2024, 1, 1, 0, 0, 0)), "acme/net/aws %s\n" % version)
    return buf.getvalue()


class Stack:
    pass


@pytest.fixture(scope="module")
def stack(workdir, registry, widget, tools, tls):
    s = Stack()
    d = str(workdir / "registry-protocol")
    os.makedirs(d)
    s.operator = GpgKey(d, "operator")
    s.publisher = GpgKey(d, "publisher")
    s.widget = widget
    push = ocipush.Registry(registry.url, ca_file=tls[0])
    s.modules = {v: ocipush.push_module(push, MODULE_REPO, v, module_zip(v)) for v in MODULE_VERSIONS}

    # acme/signed: the publisher attached its own signed checksums; acme/forged: signed by the
    # publisher's key but naming the operator's key, so no client can verify it.
    for name, key_for_clients in (("signed", s.publisher), ("forged", s.operator)):
        repo = PREFIX + "/acme/" + name
        with open(tools.widget, "rb") as f:
            binary = f.read()
        packages = {p: executable_zip("terraform-provider-%s_v1.0.0" % name,
                                      binary if p == host_platform() else p.encode()) for p in PLATFORMS}
        release = ocipush.push_opentofu_release(push, repo, "1.0.0", packages)
        shasums = "".join("%s  terraform-provider-%s_1.0.0_%s.zip\n" % (release[p][0][7:], name, p)
                          for p in sorted(release)).encode()
        ocipush.attach_signed_checksums(push, repo, "1.0.0", shasums, s.publisher.sign(shasums),
                                        key_for_clients.public_armored)

    s.stack = servers.NginxStack(
        d, 'provider_registry "registry" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
           '  signing_key_file = "%s"\n  proxy_packages = true\n  origin_ca_file = "%s"\n}\n'
           'module_registry "modules" {\n  origin_url = "%s"\n  name_prefix = "terraform-modules"\n'
           '  proxy_packages = true\n  origin_ca_file = "%s"\n}\n'
           % (registry.url, s.operator.secret_file, tls[0], registry.url, tls[0]), tls, workers=2)
    s.config, s.app, s.nginx = s.stack.config, s.stack.app, s.stack.nginx
    s.host = "localhost:%d" % s.nginx.port
    s.client = servers.Client("https://%s" % s.host, tls[0])
    s.client_ca = tls[0]
    yield s
    s.stack.stop()
    s.operator.stop()
    s.publisher.stop()


def widget_config(host, constraint="~> 1.0"):
    return ('terraform {\n  required_providers {\n    widget = {\n      source  = "%s/acme/widget"\n'
            '      version = "%s"\n    }\n  }\n}\n\nresource "widget_thing" "demo" {\n  name = "demo"\n}\n\n'
            'output "greeting" {\n  value = widget_thing.demo.greeting\n}\n' % (host, constraint))


# ---------------------------------------------------------------- the documents

def test_discovery_document(stack):
    r = stack.client.get("/.well-known/terraform.json")
    assert r.status == 200
    assert r.content_type == "application/json"
    assert r.json() == {"providers.v1": "/registry/", "modules.v1": "/modules/"}


def test_versions_document(stack):
    r = stack.client.get("/registry/acme/widget/versions")
    assert r.status == 200
    assert r.content_type == "application/json"
    versions = {v["version"]: v for v in r.json()["versions"]}
    assert sorted(versions) == ["1.0.0", "1.1.0", "1.2.0-beta.1"]
    for v in versions.values():
        assert v["protocols"] == ["5.0", "6.0"]  # the documented default without the annotation
        assert sorted((p["os"], p["arch"]) for p in v["platforms"]) == sorted(tuple(p.split("_")) for p in PLATFORMS)


def test_download_document_and_signed_checksums(stack):
    r = stack.client.get("/registry/acme/widget/1.1.0/download/darwin/arm64")
    assert r.status == 200
    doc = r.json()
    digest, size, h1 = stack.widget.releases["1.1.0"]["darwin_arm64"]
    assert doc["os"] == "darwin" and doc["arch"] == "arm64"
    assert doc["filename"] == "terraform-provider-widget_1.1.0_darwin_arm64.zip"
    assert doc["shasum"] == digest[7:]
    assert doc["hashes"] == [h1, "zh:" + digest[7:]]
    key = doc["signing_keys"]["gpg_public_keys"][0]
    assert key["key_id"] == stack.operator.key_id
    assert key["trust_signature"] == ""
    assert "BEGIN PGP PUBLIC KEY BLOCK" in key["ascii_armor"]

    base = "/registry/acme/widget/1.1.0/download/darwin/arm64"
    sums = stack.client.get(resolve(base, doc["shasums_url"]))
    sig = stack.client.get(resolve(base, doc["shasums_signature_url"]))
    assert sums.status == 200 and sig.status == 200
    expected = "".join("%s  terraform-provider-widget_1.1.0_%s.zip\n" % (stack.widget.releases["1.1.0"][p][0][7:], p)
                       for p in sorted(stack.widget.releases["1.1.0"]))
    assert sums.body.decode() == expected
    assert not sig.body.startswith(b"-----")  # binary, not armored
    assert stack.operator.verify(sums.body, sig.body)
    # Byte-for-byte stable, signature included (cached per checksums file).
    assert stack.client.get(resolve(base, doc["shasums_url"])).body == sums.body

    package = stack.client.get(doc["download_url"])
    assert package.status == 200
    assert hashlib.sha256(package.body).hexdigest() == doc["shasum"]
    head = stack.client.request(doc["download_url"], method="HEAD")
    assert head.status == 200
    assert head.headers["Content-Length"] == str(size)


def test_checksum_urls_carry_the_callers_credentials_sealed(stack):
    """Clients fetch SHA256SUMS without credentials: a caller's token rides sealed, and only for that release."""
    base = "/registry/acme/widget/1.1.0/download/linux/amd64"
    doc = stack.client.get(base, headers={"Authorization": "Bearer caller-token"}).json()
    assert "?token=" in doc["shasums_url"] and "caller-token" not in doc["shasums_url"]
    sums = stack.client.get(resolve(base, doc["shasums_url"]))
    assert sums.status == 200
    assert sums.headers["Cache-Control"].startswith("private")
    tampered = doc["shasums_url"][:-2] + ("AA" if not doc["shasums_url"].endswith("AA") else "BB")
    assert stack.client.get(resolve(base, tampered)).status == 403
    other_release = resolve("/registry/acme/widget/1.0.0/download/linux/amd64", doc["shasums_url"])
    assert stack.client.get(other_release).status == 403
    assert "caller-token" not in stack.app.log()


def resolve(base, relative):
    return urllib.parse.urljoin(base, relative)


def test_versions_of_a_provider_with_hundreds_of_releases(stack, registry, tls):
    """Every release manifest is read (eight connections at a time, not hundreds)."""
    push = ocipush.Registry(registry.url, ca_file=tls[0])
    repo = PREFIX + "/acme/many"
    ocipush.push_opentofu_release(push, repo, "0.0.1", {"linux_amd64": ocipush.provider_zip("many")})
    expected = ["0.0.1"] + ["0.1.%d" % i for i in range(300)]
    for version in expected[1:]:
        ocipush.push_extra_tag(push, repo, version, "0.0.1")
    r = stack.client.get("/registry/acme/many/versions")
    assert r.status == 200
    versions = r.json()["versions"]
    assert [v["version"] for v in versions] == sorted(expected, key=lambda v: tuple(map(int, v.split("."))))
    assert all(v["platforms"] == [{"os": "linux", "arch": "amd64"}] for v in versions)


@pytest.mark.parametrize("path", [
    "/registry/nobody/widget/versions",
    "/registry/acme/nothing/versions",
    "/registry/acme/widget/9.9.9/download/linux/amd64",
    "/registry/acme/widget/1.1.0/download/plan9/mips",
    "/registry/acme/widget/not-a-version/download/linux/amd64",
    "/registry/acme/widget/versions/extra",
    "/modules/acme/net/azure/versions",
    "/modules/acme/net/aws/9.9.9/download",
])
def test_unknown_things_are_404_with_a_json_errors_body(stack, path):
    r = stack.client.get(path)
    assert r.status == 404
    assert r.content_type == "application/json"
    assert r.json()["errors"]


def test_module_documents(stack):
    r = stack.client.get("/modules/acme/net/aws/versions")
    assert r.status == 200
    assert r.json() == {"modules": [{"versions": [{"version": v} for v in MODULE_VERSIONS]}]}
    for method in ("GET", "HEAD"):
        d = stack.client.request("/modules/acme/net/aws/1.1.0/download", method=method)
        assert d.status == 204
        location = d.headers["X-Terraform-Get"]
        assert location.split("?")[0].endswith(".zip")
    package = stack.client.get(location)
    assert package.status == 200
    assert "sha256:" + hashlib.sha256(package.body).hexdigest() == stack.modules["1.1.0"]


# ---------------------------------------------------------------- the real client

def test_tofu_installs_through_the_registry_with_signature_verification(stack, tofu_factory, tmp_path):
    tofu = tofu_factory("")
    work = project(str(tmp_path / "work"), widget_config(stack.host))
    init = tofu.run(work, "init")
    out = plain(init.stdout)
    assert "Installed %s/acme/widget v1.1.0" % stack.host in out
    assert stack.operator.key_id in out  # "(signed, key ID ...)"
    version, hashes = lock_entries(work)["%s/acme/widget" % stack.host]
    assert version == "1.1.0"
    # Every platform's zh: from the signed SHA256SUMS, plus the h1: of what was installed here.
    for platform in PLATFORMS:
        assert "zh:" + stack.widget.releases["1.1.0"][platform][0][7:] in hashes
    assert stack.widget.releases["1.1.0"][host_platform()][2] in hashes
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"


def test_tofu_providers_lock_records_all_three_platforms(stack, tofu_factory, tmp_path):
    tofu = tofu_factory("")
    work = project(str(tmp_path / "work"), widget_config(stack.host))
    tofu.run(work, "providers", "lock", *["-platform=" + p for p in PLATFORMS])
    _, hashes = lock_entries(work)["%s/acme/widget" % stack.host]
    for platform in PLATFORMS:
        digest, _, h1 = stack.widget.releases["1.1.0"][platform]
        assert "zh:" + digest[7:] in hashes
        assert h1 in hashes


def test_publisher_signature_from_oci_is_served_and_verified(stack, tofu_factory, tmp_path):
    doc = stack.client.get("/registry/acme/signed/1.0.0/download/linux/amd64").json()
    key = doc["signing_keys"]["gpg_public_keys"][0]
    assert key["key_id"] == stack.publisher.key_id
    assert key["ascii_armor"] == stack.publisher.public_armored.decode()
    tofu = tofu_factory("")
    config = widget_config(stack.host, "1.0.0").replace("acme/widget", "acme/signed").replace("widget_thing", "signed_thing")
    config = config.split('resource "signed_thing"')[0]
    work = project(str(tmp_path / "work"), config.replace("widget = {", "signed = {"))
    init = tofu.run(work, "init")
    assert stack.publisher.key_id in plain(init.stdout)


def test_a_wrong_signing_key_makes_the_client_refuse_the_package(stack, tofu_factory, tmp_path):
    tofu = tofu_factory("")
    config = widget_config(stack.host, "1.0.0").replace("acme/widget", "acme/forged")
    config = config.split('resource "widget_thing"')[0].replace("widget = {", "forged = {")
    work = project(str(tmp_path / "work"), config)
    init = tofu.run(work, "init", check=False)
    assert init.returncode == 1
    assert "the provider is not signed with a valid signing key" in plain(init.stderr)
    assert not os.path.exists(os.path.join(work, ".terraform.lock.hcl"))


def test_tofu_installs_a_module_through_the_module_registry(stack, tofu_factory, tmp_path):
    # Module source hostnames need a dot ("localhost:PORT" is refused by the client): use the IP.
    tofu = tofu_factory("")
    work = project(str(tmp_path / "work"),
                   'module "net" {\n  source  = "127.0.0.1:%d/acme/net/aws"\n  version = "~> 1.0"\n  prefix  = "demo"\n}\n\n'
                   'output "name" {\n  value = module.net.name\n}\n' % stack.nginx.port)
    init = tofu.run(work, "init")
    assert "1.1.0" in plain(init.stdout)
    modules = json.load(open(os.path.join(work, ".terraform", "modules", "modules.json")))
    entry = next(m for m in modules["Modules"] if m["Key"] == "net")
    assert entry["Version"] == "1.1.0"
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "name").stdout == "demo-net-aws-1.1.0"
    assert "token=" not in stack.app.log()


def test_terraform_installs_through_the_registry_with_signature_verification(stack, tofu_factory, tmp_path):
    terraform = tofu_factory("", terraform=True)
    work = project(str(tmp_path / "work"), widget_config(stack.host))
    init = terraform.run(work, "init")
    out = plain(init.stdout)
    assert "Installed %s/acme/widget v1.1.0" % stack.host in out
    assert stack.operator.key_id in out
    _, hashes = lock_entries(work)["%s/acme/widget" % stack.host]
    for platform in PLATFORMS:
        assert "zh:" + stack.widget.releases["1.1.0"][platform][0][7:] in hashes
    terraform.run(work, "apply", "-auto-approve")
    assert terraform.run(work, "output", "-raw", "greeting").stdout == "hello, demo"


def test_pushed_releases_install_through_the_registry_protocols(stack, tools, tofu_factory, tmp_path):
    """`push --service` into the provider_registry and module_registry services, then the real client."""
    zips = widget_packages(str(tmp_path / "zips"), tools, "3.0.0")
    push(stack.config, "provider", "--service", "registry", "--protocols", "6.0", "pushers/widget", "3.0.0", *zips)
    versions = stack.client.get("/registry/pushers/widget/versions").json()["versions"]
    assert [(v["version"], v["protocols"]) for v in versions] == [("3.0.0", ["6.0"])]

    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text('output "name" {\n  value = "pushed module"\n}\n')
    push(stack.config, "module", "--service", "modules", "acme/pushed/aws", "0.3.0", str(module))

    tofu = tofu_factory("")
    work = project(str(tmp_path / "work"), widget_config(stack.host, "3.0.0").replace("acme/", "pushers/") +
                   'module "pushed" {\n  source  = "127.0.0.1:%d/acme/pushed/aws"\n  version = "0.3.0"\n}\n\n'
                   'output "module" {\n  value = module.pushed.name\n}\n' % stack.nginx.port)
    init = tofu.run(work, "init")
    assert "Installed %s/pushers/widget v3.0.0" % stack.host in plain(init.stdout)
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "module").stdout == "pushed module"
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"


def zip_hashes(path):
    """(zh:, h1:, size) of a package file, as a client computes them."""
    with open(path, "rb") as f:
        data = f.read()
    return "zh:" + hashlib.sha256(data).hexdigest(), ocipush.h1_hash(data), len(data)


def test_one_tofu_init_locks_every_platform_of_a_pushed_release(stack, tools, tofu_factory, tmp_path):
    """OpenTofu's `packages` field: one init through the registry records h1: and zh: of every platform.

    OpenTofu 1.12 verifies the field for every host, and records the h1: of other platforms for the host it
    does not demand signatures from, its own registry.opentofu.org: here a CLI `host` block sends that
    hostname's providers.v1 to this registry, as a site standing in for the public registry does. For other
    hosts it records what the signature covers, every zh:, and its own h1:."""
    zips = widget_packages(str(tmp_path / "zips"), tools, "4.0.0")
    push(stack.config, "provider", "--service", "registry", "complete/widget", "4.0.0", *zips)
    expected = {os.path.basename(z)[len("terraform-provider-widget_4.0.0_"):-len(".zip")]: zip_hashes(z) for z in zips}
    assert set(PLATFORMS) <= set(expected)
    every_hash = {h for zh, h1, _ in expected.values() for h in (zh, h1)}

    doc = stack.client.get("/registry/complete/widget/4.0.0/download/linux/amd64").json()
    assert doc["packages"] == {p: {"hashes": [zh, h1], "package_size": size} for p, (zh, h1, size) in expected.items()}
    assert doc["packages"]["linux_amd64"]["hashes"][0] == "zh:" + doc["shasum"]
    assert doc["hashes"] == [expected["linux_amd64"][1], expected["linux_amd64"][0]]  # Terraform's, as before

    tofu = tofu_factory('host "registry.opentofu.org" {\n  services = {\n    "providers.v1" = "https://%s/registry/"\n'
                        '  }\n}\n' % stack.host)
    config = widget_config("registry.opentofu.org", "4.0.0").replace("acme/widget", "complete/widget")
    work = project(str(tmp_path / "tofu"), config)
    init = tofu.run(work, "init")
    assert "Installed complete/widget v4.0.0" in plain(init.stdout)
    version, hashes = lock_entries(work)["registry.opentofu.org/complete/widget"]
    assert version == "4.0.0"
    assert hashes == every_hash
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"
    # That lock is complete: a clean init on any platform finds its hashes (here: verified, unchanged).
    before = open(os.path.join(work, ".terraform.lock.hcl")).read()
    shutil.rmtree(os.path.join(work, ".terraform"))
    tofu.run(work, "init")
    assert open(os.path.join(work, ".terraform.lock.hcl")).read() == before

    config = widget_config(stack.host, "4.0.0").replace("acme/widget", "complete/widget")
    work = project(str(tmp_path / "tofu-own-host"), config)
    tofu.run(work, "init")
    _, hashes = lock_entries(work)["%s/complete/widget" % stack.host]
    assert hashes == {zh for zh, _, _ in expected.values()} | {expected[host_platform()][1]}

    terraform = tofu_factory("", terraform=True)
    work = project(str(tmp_path / "terraform"), config)
    init = terraform.run(work, "init")
    assert "Installed %s/complete/widget v4.0.0" % stack.host in plain(init.stdout)
    _, hashes = lock_entries(work)["%s/complete/widget" % stack.host]
    assert hashes == {zh for zh, _, _ in expected.values()} | {expected[host_platform()][1]}
    terraform.run(work, "apply", "-auto-approve")
    assert terraform.run(work, "output", "-raw", "greeting").stdout == "hello, demo"


def test_packages_are_served_beside_the_publishers_own_checksums(stack):
    """A release with the publisher's SHA256SUMS still lists every platform's package."""
    doc = stack.client.get("/registry/acme/signed/1.0.0/download/linux/amd64").json()
    assert sorted(doc["packages"]) == sorted(PLATFORMS)
    for p, entry in doc["packages"].items():
        assert entry["hashes"][0].startswith("zh:") and entry["package_size"] > 0
    assert doc["packages"]["linux_amd64"]["hashes"][0] == "zh:" + doc["shasum"]


@pytest.fixture(scope="module", params=["apache", "lighttpd"])
def other_front(request, stack, workdir, tls):
    """The same configuration behind Apache+mod_fcgid or lighttpd, from the shipped examples."""
    d = workdir / ("registry-protocol-" + request.param)
    d.mkdir()
    kind = servers.Apache if request.param == "apache" else servers.Lighttpd
    server = kind(str(d), stack.config, tls).start()
    server.name = request.param
    yield server
    server.stop()


def test_registries_behind_apache_and_lighttpd(stack, other_front, tofu_factory, tmp_path):
    client = servers.Client(other_front.url, stack.client_ca)
    assert client.get("/.well-known/terraform.json").json() == {"providers.v1": "/registry/", "modules.v1": "/modules/"}
    host = "localhost:%d" % other_front.port
    tofu = tofu_factory("")
    work = project(str(tmp_path / "work"), widget_config(host) +
                   'module "net" {\n  source  = "127.0.0.1:%d/acme/net/aws"\n  version = "~> 1.0"\n'
                   '  prefix  = "%s"\n}\n\noutput "name" {\n  value = module.net.name\n}\n'
                   % (other_front.port, other_front.name))
    init = tofu.run(work, "init")
    out = plain(init.stdout)
    assert "Installed %s/acme/widget v1.1.0" % host in out
    assert stack.operator.key_id in out
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "name").stdout == "%s-net-aws-1.1.0" % other_front.name
