"""Pull-through from an upstream provider registry (issue 11; the contract: /work/notes/pull-through-spec.md).

The upstream is this program's provider_registry with a signing key of its own, in front of its own
docker-registry, behind nginx with TLS, filled with `push provider`. The pull-through is another instance of
this program with a provider_registry and a provider_mirror that name it in an `upstream { }` block, in front
of an empty docker-registry (its access log counts the calls), behind nginx with TLS. Real OpenTofu and
Terraform run `init` through it. The one fault the real upstream cannot produce, a zip that does not match
its SHA256SUMS line, comes from a small HTTPS registry in this process (pullthrough.FakeUpstream).

Each test asks for releases no other test asks for, so none depends on another having run. Run with -rP
to see the registry calls each import made.
"""

import os
import pathlib
import re
import threading

import pytest

import ocipush
import servers
from conftest import (PLATFORMS, executable_zip, fault_upstream, GpgKey, host_platform, lock_entries,
                      mirror_cli_config, plain, project, Tofu, widget_packages)
from pullthrough import (CREATED_ANNOTATION, H1_ANNOTATION, INDEX, PREFIX, PROVIDER, SHASUMS, TARGET, FakeUpstream,
                         PullThrough, Upstream, format_calls, key_fingerprints, package_name, sha256_hex)

WIDGET = "acme/widget"
# Releases of acme/widget upstream, and the one test that imports each:
#   1.0.0 tofu through the registry      1.1.0 tofu through the mirror     1.2.0 Terraform through the registry
#   1.3.0 two instances at once          1.4.0 the same bytes from either  2.0.0 registry calls per import
WIDGET_VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "2.0.0")
ALL_PLATFORMS = sorted(set(PLATFORMS) | {host_platform()})

SIGNATURE_PROBLEM = re.compile(r"signature|signed|signing key", re.I)
CHECKSUM_PROBLEM = re.compile(r"SHA256SUMS|checksum|shasum|sha-?256|hash", re.I)


# ---------------------------------------------------------------- helpers

def stand_in_packages(directory, type_, version, platforms=ALL_PLATFORMS, content="stand-in"):
    """terraform-provider-TYPE_VERSION_OS_ARCH.zip files holding a small executable that is no provider."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for p in platforms:
        entry = "terraform-provider-%s_v%s%s" % (type_, version, ".exe" if p.startswith("windows") else "")
        path = os.path.join(directory, package_name(type_, version, p))
        with open(path, "wb") as f:
            f.write(executable_zip(entry, ("#!/bin/sh\n# %s %s %s %s\n" % (content, type_, version, p)).encode()))
        paths.append(path)
    return paths


def provider_config(host, address, version):
    type_ = address.split("/")[1]
    return ('terraform {\n  required_providers {\n    %s = {\n      source  = "%s/%s"\n      version = "%s"\n'
            '    }\n  }\n}\n' % (type_, host, address, version))


def lock_block(directory, address):
    """{version, constraints, hashes (in file order)} of one provider in the directory's .terraform.lock.hcl."""
    with open(os.path.join(directory, ".terraform.lock.hcl")) as f:
        text = f.read()
    m = re.search(r'provider "%s" \{(.*?)\n\}' % re.escape(address), text, re.S)
    assert m, "no provider %s in the lock file:\n%s" % (address, text)
    fields = dict(re.findall(r'^\s*(version|constraints)\s*=\s*"([^"]*)"', m.group(1), re.M))
    return {"version": fields.get("version"), "constraints": fields.get("constraints"),
            "hashes": re.findall(r'"((?:h1|zh):[^"]+)"', m.group(1))}


def init_registry(tofu, directory, host, address, version, check=True):
    """`init` of a root module that requires HOST/ADDRESS at exactly VERSION; returns (directory, process)."""
    work = project(directory, provider_config(host, address, version))
    return work, tofu.run(work, "init", check=check)


def served_hashes(packages):
    """Every h1: and zh: of a release's packages."""
    return {h for data in packages.values() for h in (ocipush.h1_hash(data), "zh:" + sha256_hex(data))}


def get_json(client, path, status=200, timeout=180, stack=None):
    """`stack` (the NginxStack behind `client`): its app log and nginx error log go into a failure's message."""
    r = client.get(path, timeout=timeout)
    if r.status != status and stack is not None:
        errors = os.path.join(stack.nginx.directory, "nginx-error.log")
        raise AssertionError("%s: %d %r\n--- app log ---\n%s\n--- nginx error log ---\n%s"
                             % (path, r.status, r.body[:2000], stack.app.log()[-6000:],
                                open(errors).read()[-3000:] if os.path.exists(errors) else "(none)"))
    assert r.status == status, "%s: %d %r" % (path, r.status, r.body[:2000])
    assert r.content_type.split(";")[0] == "application/json", "%s: Content-Type %r" % (path, r.content_type)
    return r.json()


def assert_release_stored(pull, upstream, address, version):
    """The release is in the pull-through's registry in OpenTofu's layout, with the publisher's checksums."""
    repo = PREFIX + "/" + address
    tag = ocipush.tag_of(version)
    assert tag in pull.registry.tags(repo)
    _, index = pull.registry.manifest(repo, tag)
    assert index["mediaType"] == INDEX
    assert index.get("artifactType") == PROVIDER
    assert CREATED_ANNOTATION not in (index.get("annotations") or {})
    packages = upstream.package_bytes(address, version)
    platform_descriptors = [d for d in index["manifests"] if "platform" in d]
    names = ["%s_%s" % (d["platform"]["os"], d["platform"]["architecture"]) for d in platform_descriptors]
    assert names == sorted(packages), "platform descriptors, in order: %s" % names
    assert len(index["manifests"]) == len(packages) + 1
    assert index["manifests"][-1].get("artifactType") == SHASUMS   # the checksums descriptor last
    for descriptor, name in zip(platform_descriptors, names):
        assert descriptor.get("artifactType") == TARGET
        _, manifest = pull.registry.manifest(repo, descriptor["digest"])
        assert manifest.get("artifactType") == TARGET
        assert CREATED_ANNOTATION not in (manifest.get("annotations") or {})
        [layer] = manifest["layers"]
        assert layer["digest"] == "sha256:" + sha256_hex(packages[name])   # the upstream's zip, byte for byte
        h1 = ((layer.get("annotations") or {}).get(H1_ANNOTATION) or
              (manifest.get("annotations") or {}).get(H1_ANNOTATION))
        assert h1 == ocipush.h1_hash(packages[name])
    _, checksums = pull.registry.manifest(repo, index["manifests"][-1]["digest"])
    assert checksums.get("artifactType") == SHASUMS
    layers = {layer["mediaType"]: layer["digest"] for layer in checksums["layers"]}
    assert sorted(layers) == ["application/pgp-keys", "application/pgp-signature", "text/plain"]
    sums = pull.registry.blob(repo, layers["text/plain"])
    assert sums == upstream.shasums(address, version)
    assert upstream.key.verify(sums, pull.registry.blob(repo, layers["application/pgp-signature"]))
    assert upstream.key.fingerprint in key_fingerprints(pull.registry.blob(repo, layers["application/pgp-keys"]))


def assert_tag_written_last(calls, repo, version):
    """Every write of the import succeeded, and the tag was the last one, written once."""
    writes = [(method, path.split("?")[0], status) for method, path, status in calls
              if method in ("PUT", "POST", "PATCH", "DELETE") and path.startswith("/v2/%s/" % repo)]
    assert writes, "the import wrote nothing into %s" % repo
    assert all(200 <= status < 300 for _, _, status in writes), writes
    tag_write = ("PUT", "/v2/%s/manifests/%s" % (repo, ocipush.tag_of(version)))
    assert [w[:2] for w in writes].count(tag_write) == 1, writes
    assert writes[-1][:2] == tag_write, writes


def at_once(*functions):
    """Runs the functions in threads released together; returns their results in order."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def run(i, function):
        try:
            barrier.wait(30)
            results[i] = function()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a request did not come back in 300 s"
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------- fixtures

def fixture_dir(tmp_path_factory, name):
    """A new directory the web servers' unprivileged users can reach."""
    return str(servers.reachable_by_web_servers(tmp_path_factory.mktemp(name)))


@pytest.fixture(scope="module")
def upstream(tmp_path_factory, tls, tools):
    """The real upstream: acme/widget (the real provider for this machine, stand-ins for the rest), acme/gizmo,
    acme/plain, and acme/forged, whose publisher checksums are signed by a key other than the one they list."""
    d = fixture_dir(tmp_path_factory, "pt-upstream")
    up = Upstream(d, tls)
    forger = None
    try:
        for version in WIDGET_VERSIONS:
            up.publish(WIDGET, version, widget_packages(os.path.join(d, "zips"), tools, version))
        for address in ("acme/gizmo", "acme/plain", "acme/forged"):
            up.publish(address, "1.0.0", stand_in_packages(os.path.join(d, "zips"), address.split("/")[1], "1.0.0"))
        forger = GpgKey(d, "forger")
        up.attach_foreign_signature("acme/forged", "1.0.0", forger)
        yield up
    finally:
        if forger:
            forger.stop()
        up.stop()


@pytest.fixture(scope="module")
def pull(tmp_path_factory, tls, upstream):
    """The pull-through in front of the upstream, over an empty registry."""
    p = PullThrough(fixture_dir(tmp_path_factory, "pt-pull-through"), tls, upstream.url)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def second(pull):
    """A second instance of the pull-through: same services, same registry (stopped with `pull`)."""
    return pull.another_instance()


@pytest.fixture(scope="module")
def fake(tmp_path_factory, tls):
    """The fake upstream of conftest.fault_upstream: acme/genuine, acme/foreign, acme/tampered."""
    yield from fault_upstream(fixture_dir(tmp_path_factory, "pt-fake"), tls, "fake", ALL_PLATFORMS)


@pytest.fixture(scope="module")
def fake_pull(tmp_path_factory, tls, fake):
    """A pull-through in front of the fake upstream, over an empty registry of its own."""
    p = PullThrough(fixture_dir(tmp_path_factory, "pt-fake-pull-through"), tls, fake.url)
    yield p
    p.stop()


class Outage:
    pass


@pytest.fixture(scope="module")
def outage(tmp_path_factory, tls, tools):
    """An upstream with acme/widget 1.0.0 and 1.1.0 and a pull-through (versions_ttl 1s) in front of it: 1.0.0
    installed through the pull-through's registry by `tofu init`, then the upstream stopped, all of it."""
    d = pathlib.Path(fixture_dir(tmp_path_factory, "pt-outage"))
    up = Upstream(str(d / "upstream"), tls, name="outage-upstream")
    try:
        for version in ("1.0.0", "1.1.0"):
            up.publish(WIDGET, version, widget_packages(str(d / "zips"), tools, version))
        p = PullThrough(str(d / "pull-through"), tls, up.url, name="outage-pull-through",
                        upstream_extra='    versions_ttl = "1s"\n')
        try:
            o = Outage()
            o.pull, o.upstream_port, o.upstream_key = p, up.port, up.key
            direct, _ = init_registry(Tofu(tools.tofu, str(d / "home-direct"), tls[0], ""), str(d / "direct"),
                                      up.host, WIDGET, "1.0.0")
            o.direct_lock = lock_block(direct, "%s/%s" % (up.host, WIDGET))
            through, _ = init_registry(Tofu(tools.tofu, str(d / "home-through"), tls[0], ""), str(d / "through"),
                                       p.host, WIDGET, "1.0.0")
            assert lock_block(through, "%s/%s" % (p.host, WIDGET)) == o.direct_lock
            listing = get_json(p.client, "/registry/acme/widget/versions")["versions"]
            o.listed_before = sorted(v["version"] for v in listing)
            o.packages = up.package_bytes(WIDGET, "1.0.0")
            up.stop()
            assert not servers.port_open(up.port)
            yield o
        finally:
            p.stop()
    finally:
        up.stop()


# ---------------------------------------------------------------- the fixtures themselves, judged by the real client

def test_the_upstream_alone_installs_with_tofu_and_refuses_the_forged_release(upstream, tofu_factory, tmp_path):
    """Controls: the upstream is a working registry on its own, and acme/forged is a fault the client sees."""
    work, init = init_registry(tofu_factory(""), str(tmp_path / "widget"), upstream.host, WIDGET, "1.0.0")
    assert "Installed %s/%s v1.0.0" % (upstream.host, WIDGET) in plain(init.stdout)
    assert upstream.key.key_id in plain(init.stdout)
    _, hashes = lock_entries(work)["%s/%s" % (upstream.host, WIDGET)]
    packages = upstream.package_bytes(WIDGET, "1.0.0")
    assert {"zh:" + sha256_hex(data) for data in packages.values()} <= hashes
    assert ocipush.h1_hash(packages[host_platform()]) in hashes

    work, init = init_registry(tofu_factory(""), str(tmp_path / "forged"), upstream.host, "acme/forged", "1.0.0",
                               check=False)
    assert init.returncode == 1
    assert "the provider is not signed with a valid signing key" in plain(init.stderr)


def test_the_fake_upstream_is_judged_by_the_real_client(fake, tofu_factory, tmp_path):
    """Controls: tofu installs acme/genuine straight from the fake, and refuses acme/foreign and acme/tampered."""
    work, init = init_registry(tofu_factory(""), str(tmp_path / "genuine"), fake.host, "acme/genuine", "1.0.0")
    assert "Installed %s/acme/genuine v1.0.0" % fake.host in plain(init.stdout)
    assert fake.publisher.key_id in plain(init.stdout)
    _, hashes = lock_entries(work)["%s/acme/genuine" % fake.host]
    assert {"zh:" + sha256_hex(d) for d in fake.releases[("acme", "genuine")]["1.0.0"].packages.values()} <= hashes

    _, foreign = init_registry(tofu_factory(""), str(tmp_path / "foreign"), fake.host, "acme/foreign", "1.0.0",
                               check=False)
    assert foreign.returncode == 1
    assert "the provider is not signed with a valid signing key" in plain(foreign.stderr)

    _, tampered = init_registry(tofu_factory(""), str(tmp_path / "tampered"), fake.host, "acme/tampered", "1.0.0",
                                check=False)
    assert tampered.returncode == 1
    assert re.search(r"checksum|does not match", plain(tampered.stderr), re.I), tampered.stderr
    assert fake.requested("/files/acme/tampered/1.0.0/" + package_name("tampered", "1.0.0", host_platform()))
    assert all(authorization is None for _, _, authorization in fake.requests)


# ---------------------------------------------------------------- installing through the pull-through

def test_tofu_installs_through_the_registry_a_provider_only_the_upstream_has(upstream, pull, tofu_factory, tmp_path):
    repo = PREFIX + "/" + WIDGET
    assert "1.0.0" not in pull.registry.tags(repo)
    direct, _ = init_registry(tofu_factory(""), str(tmp_path / "direct"), upstream.host, WIDGET, "1.0.0")
    mark = pull.registry.mark()
    work, init = init_registry(tofu_factory(""), str(tmp_path / "through"), pull.host, WIDGET, "1.0.0")
    calls = pull.registry.calls_since(mark)
    print(format_calls("registry calls during `tofu init` through the pull-through's registry (import of %s 1.0.0, "
                       "%d platforms, and the download):" % (WIDGET, len(ALL_PLATFORMS)), calls))

    out = plain(init.stdout)
    assert "Installed %s/%s v1.0.0" % (pull.host, WIDGET) in out
    # The publisher's signature reaches the client, not one the pull-through made.
    assert upstream.key.key_id in out
    assert pull.key.key_id not in out
    assert lock_block(work, "%s/%s" % (pull.host, WIDGET)) == lock_block(direct, "%s/%s" % (upstream.host, WIDGET))
    assert_release_stored(pull, upstream, WIDGET, "1.0.0")
    assert_tag_written_last(calls, repo, "1.0.0")


def test_tofu_installs_through_the_mirror_a_provider_only_the_upstream_has(upstream, pull, tofu_factory, tmp_path):
    repo = PREFIX + "/" + WIDGET
    assert "1.1.0" not in pull.registry.tags(repo)
    tofu = tofu_factory(mirror_cli_config(pull.url + "/mirror/"))
    work = project(str(tmp_path / "work"), provider_config("registry.terraform.io", WIDGET, "1.1.0"))
    init = tofu.run(work, "init")
    assert "Installed registry.terraform.io/%s v1.1.0" % WIDGET in plain(init.stdout)

    packages = upstream.package_bytes(WIDGET, "1.1.0")
    version, hashes = lock_entries(work)["registry.terraform.io/" + WIDGET]
    assert version == "1.1.0"
    assert ocipush.h1_hash(packages[host_platform()]) in hashes
    assert hashes <= served_hashes(packages)
    doc = get_json(pull.client, "/mirror/registry.terraform.io/%s/1.1.0.json" % WIDGET)
    assert sorted(doc["archives"]) == sorted(packages)
    for platform, data in packages.items():
        assert {ocipush.h1_hash(data), "zh:" + sha256_hex(data)} <= set(doc["archives"][platform]["hashes"])
    assert_release_stored(pull, upstream, WIDGET, "1.1.0")


def test_terraform_installs_through_the_registry_a_provider_only_the_upstream_has(upstream, pull, tofu_factory,
                                                                                  tmp_path):
    repo = PREFIX + "/" + WIDGET
    assert "1.2.0" not in pull.registry.tags(repo)
    direct, _ = init_registry(tofu_factory("", terraform=True), str(tmp_path / "direct"), upstream.host, WIDGET,
                              "1.2.0")
    work, init = init_registry(tofu_factory("", terraform=True), str(tmp_path / "through"), pull.host, WIDGET, "1.2.0")
    out = plain(init.stdout)
    assert "Installed %s/%s v1.2.0" % (pull.host, WIDGET) in out
    assert upstream.key.key_id in out
    assert lock_block(work, "%s/%s" % (pull.host, WIDGET)) == lock_block(direct, "%s/%s" % (upstream.host, WIDGET))
    assert_release_stored(pull, upstream, WIDGET, "1.2.0")


def test_registry_calls_per_import(upstream, pull):
    """One download document for a release not stored: the import, counted from the registry's access log."""
    repo = PREFIX + "/" + WIDGET
    assert "2.0.0" not in pull.registry.tags(repo)
    mark = pull.registry.mark()
    doc = get_json(pull.client, "/registry/%s/2.0.0/download/linux/amd64" % WIDGET)
    calls = pull.registry.calls_since(mark)
    print(format_calls("registry calls per import (%s 2.0.0, %d platforms, one download document asked for):"
                       % (WIDGET, len(ALL_PLATFORMS)), calls))
    packages = upstream.package_bytes(WIDGET, "2.0.0")
    assert doc["shasum"] == sha256_hex(packages["linux_amd64"])
    assert_tag_written_last(calls, repo, "2.0.0")
    # Served again from the registry: nothing more is written.
    mark = pull.registry.mark()
    assert get_json(pull.client, "/registry/%s/2.0.0/download/linux/amd64" % WIDGET)["shasum"] == doc["shasum"]
    assert [c for c in pull.registry.calls_since(mark) if c[0] in ("PUT", "POST", "PATCH")] == []


# ---------------------------------------------------------------- listings

def test_the_versions_listing_is_the_union_of_stored_and_upstream_releases(upstream, pull):
    repo = PREFIX + "/acme/gizmo"
    stored = {"linux_amd64": executable_zip("terraform-provider-gizmo_v0.1.0", b"#!/bin/sh\n# stored only\n")}
    ocipush.push_opentofu_release(ocipush.Registry(pull.registry.url), repo, "0.1.0", stored)
    versions = get_json(pull.client, "/registry/acme/gizmo/versions")["versions"]
    assert sorted(v["version"] for v in versions) == ["0.1.0", "1.0.0"]
    assert get_json(pull.client, "/mirror/registry.terraform.io/acme/gizmo/index.json") == \
        {"versions": {"0.1.0": {}, "1.0.0": {}}}
    assert "1.0.0" not in pull.registry.tags(repo)   # listing imports nothing


@pytest.mark.parametrize("path", [
    "/registry/acme/nothing/versions",
    "/mirror/registry.terraform.io/acme/nothing/index.json",
    "/registry/acme/widget/9.9.9/download/linux/amd64",
    "/mirror/registry.terraform.io/acme/widget/9.9.9.json",
    "/registry/acme/plain/1.0.0/download/plan9/mips",
])
def test_what_the_upstream_does_not_have_is_404(upstream, pull, path):
    doc = get_json(pull.client, path, status=404)
    assert doc["errors"]


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("source,address,problem", [
    pytest.param("upstream", "acme/forged", SIGNATURE_PROBLEM,
                 id="real-upstream-publisher-checksums-signed-by-another-key"),
    pytest.param("fake", "acme/foreign", SIGNATURE_PROBLEM, id="fake-upstream-signature-by-a-key-it-does-not-list"),
    pytest.param("fake", "acme/tampered", CHECKSUM_PROBLEM, id="fake-upstream-zip-not-matching-its-SHA256SUMS-line"),
])
def test_a_release_that_does_not_verify_is_refused_and_nothing_is_written(request, source, address, problem,
                                                                          tofu_factory, tmp_path):
    stack = request.getfixturevalue("pull" if source == "upstream" else "fake_pull")
    type_ = address.split("/")[1]
    repo = PREFIX + "/" + address
    mark = stack.registry.mark()
    fake_mark = len(request.getfixturevalue("fake").requests) if source == "fake" else 0

    _, init = init_registry(tofu_factory(""), str(tmp_path / "work"), stack.host, address, "1.0.0", check=False)
    assert init.returncode != 0, init.stdout
    assert not os.path.exists(os.path.join(str(tmp_path / "work"), ".terraform.lock.hcl"))
    for path in ("/registry/%s/1.0.0/download/linux/amd64" % address,
                 "/mirror/registry.terraform.io/%s/1.0.0.json" % address):
        errors = get_json(stack.client, path, status=502)["errors"]
        print("%s: 502 %s" % (path, errors))
        assert errors and all(isinstance(e, str) for e in errors), errors
        assert problem.search(" ".join(errors)), "%s: the error does not name the problem: %s" % (path, errors)
        if problem is CHECKSUM_PROBLEM:   # the signature was good: blaming it would be a wrong diagnosis
            assert not re.search("signature", " ".join(errors), re.I), errors
    logged = [line for line in stack.app.log().splitlines() if type_ in line and problem.search(line)]
    assert logged, "no log line names the refusal:\n" + stack.app.log()[-4000:]

    # Nothing written: no tag, no manifest, and the registry's log shows no write at all (no blob either).
    assert stack.registry.tags(repo) == []
    assert stack.registry.manifest_revisions(repo) == []
    calls = stack.registry.calls_since(mark)
    assert [c for c in calls if c[0] in ("PUT", "POST", "PATCH") and c[1].startswith("/v2/%s/" % repo)] == []
    if source == "fake":   # it got as far as the evidence it refused
        fake = request.getfixturevalue("fake")
        files = "/files/%s/1.0.0/terraform-provider-%s_1.0.0_" % (address, type_)
        assert fake.requested(files + "SHA256SUMS", since=fake_mark)
        assert fake.requested(files + "SHA256SUMS.sig", since=fake_mark)
        if problem is CHECKSUM_PROBLEM:
            assert [r for r in fake.requests[fake_mark:] if r[1].startswith("/files/") and r[1].endswith(".zip")]


def test_the_fake_upstreams_genuine_release_is_imported(fake, fake_pull, tofu_factory, tmp_path):
    """The control for the refusals above: the same fake, release well made, goes through."""
    direct, _ = init_registry(tofu_factory(""), str(tmp_path / "direct"), fake.host, "acme/genuine", "1.0.0")
    work, init = init_registry(tofu_factory(""), str(tmp_path / "through"), fake_pull.host, "acme/genuine", "1.0.0")
    assert fake.publisher.key_id in plain(init.stdout)
    assert lock_block(work, "%s/acme/genuine" % fake_pull.host) == lock_block(direct, "%s/acme/genuine" % fake.host)
    assert "1.0.0" in fake_pull.registry.tags(PREFIX + "/acme/genuine")
    assert all(authorization is None for _, _, authorization in fake.requests)


# ---------------------------------------------------------------- a fleet sharing one registry

def test_two_instances_importing_one_release_at_once_leave_one_release(upstream, pull, second):
    repo, version = PREFIX + "/" + WIDGET, "1.3.0"
    assert version not in pull.registry.tags(repo)
    path = "/registry/%s/%s/download/linux/amd64" % (WIDGET, version)
    mark = pull.registry.mark()
    first, other = at_once(lambda: pull.client.get(path, timeout=180), lambda: second.client.get(path, timeout=180))
    calls = pull.registry.calls_since(mark)
    assert (first.status, other.status) == (200, 200), (first.body[:500], other.body[:500])
    tag_puts = [c for c in calls if c[0] == "PUT" and c[1].split("?")[0] == "/v2/%s/manifests/%s" % (repo, version)]
    print(format_calls("registry calls of two instances importing %s %s at once (%d tag writes):"
                       % (WIDGET, version, len(tag_puts)), calls))

    assert pull.registry.tags(repo).count(version) == 1
    digest, _ = pull.registry.manifest(repo, version)
    assert pull.registry.tag_history(repo, version) == [digest]   # whichever wrote last wrote the same index
    packages = upstream.package_bytes(WIDGET, version)
    assert first.json()["shasum"] == other.json()["shasum"] == sha256_hex(packages["linux_amd64"])
    for platform in packages:
        p = "/registry/%s/%s/download/%s" % (WIDGET, version, platform.replace("_", "/"))
        a, b = get_json(pull.client, p, stack=pull.stack), get_json(second.client, p, stack=second)
        assert a["shasum"] == b["shasum"] == sha256_hex(packages[platform])
        assert a.get("packages") == b.get("packages")
    assert_release_stored(pull, upstream, WIDGET, version)


def test_an_import_writes_the_same_bytes_whichever_instance_makes_it(upstream, pull, second):
    """Deterministic manifests: the release imported by one instance, its index deleted, imported by the other."""
    repo, version = PREFIX + "/" + WIDGET, "1.4.0"
    path = "/registry/%s/%s/download/linux/amd64" % (WIDGET, version)
    assert version not in pull.registry.tags(repo)
    get_json(pull.client, path)
    digest, index = pull.registry.manifest(repo, version)
    pull.registry.delete_manifest(repo, digest)
    assert pull.registry.manifest(repo, version) is None
    assert version not in pull.registry.tags(repo)

    get_json(second.client, path)
    again, _ = pull.registry.manifest(repo, version)
    assert again == digest, "the second import wrote another index:\n%s" % pull.registry.manifest(repo, version)[1]


# ---------------------------------------------------------------- the upstream stopped

@pytest.mark.parametrize("service", ["registry", "mirror"])
def test_with_the_upstream_stopped_a_fresh_init_installs_what_was_imported(outage, service, tofu_factory, tmp_path):
    assert not servers.port_open(outage.upstream_port)
    if service == "registry":
        work, init = init_registry(tofu_factory(""), str(tmp_path / "work"), outage.pull.host, WIDGET, "1.0.0")
        assert "Installed %s/%s v1.0.0" % (outage.pull.host, WIDGET) in plain(init.stdout)
        assert outage.upstream_key.key_id in plain(init.stdout)
        assert lock_block(work, "%s/%s" % (outage.pull.host, WIDGET)) == outage.direct_lock
    else:
        tofu = tofu_factory(mirror_cli_config(outage.pull.url + "/mirror/"))
        work = project(str(tmp_path / "work"), provider_config("registry.terraform.io", WIDGET, "1.0.0"))
        init = tofu.run(work, "init")
        assert "Installed registry.terraform.io/%s v1.0.0" % WIDGET in plain(init.stdout)
        version, hashes = lock_entries(work)["registry.terraform.io/" + WIDGET]
        assert version == "1.0.0"
        assert ocipush.h1_hash(outage.packages[host_platform()]) in hashes
        assert hashes <= set(outage.direct_lock["hashes"]) | served_hashes(outage.packages)


def test_with_the_upstream_stopped_the_listing_is_what_is_stored_without_error(outage):
    assert outage.listed_before == ["1.0.0", "1.1.0"]   # while it was up: stored and upstream
    listings = {"/registry/acme/widget/versions": lambda doc: sorted(v["version"] for v in doc["versions"]),
                "/mirror/registry.terraform.io/acme/widget/index.json": lambda doc: sorted(doc["versions"])}
    for path, versions in listings.items():
        seen = []

        def stored_only():
            doc = get_json(outage.pull.client, path)   # 200, JSON, every time
            assert "errors" not in doc, doc
            seen.append(versions(doc))
            return seen[-1] == ["1.0.0"]
        # The upstream's list may be reused for versions_ttl (1s) after it stopped; then only what is stored.
        try:
            servers.wait_until(stored_only, path + " to list only the stored release", timeout=30)
        except TimeoutError:
            raise AssertionError("%s never listed only the stored release; its last answers: %s" % (path, seen[-3:]))
