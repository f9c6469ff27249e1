"""`push` into registries that demand credentials: htpasswd (Basic) and bearer tokens, with credentials
from --username/--password-stdin, the service's origin_credentials, ~/.docker/config.json (auths,
identity tokens) and docker credential helper programs. Secrets never appear in the output."""

import base64
import json
import os
import subprocess
import urllib.request

import pytest

import servers
from registry_tokens import Realm, TokenIssuer, token_auth
from test_push import PREFIX, write_packages

ROBOT_AUTH = "Basic " + base64.b64encode(b"robot:pw").decode()


def write_config(directory, registry_url, credentials=""):
    path = os.path.join(str(directory), "push.hcl")
    with open(path, "w") as f:
        f.write('provider_mirror "pub" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n%s}\n'
                % (registry_url, credentials))
    return path


def push(config, home, *args, stdin=None, docker_config=None, path_prefix=None, extra_env=None,
         docker_over_http=True):
    """Runs `push provider --service pub ...` with its own HOME (and DOCKER_CONFIG when given). The
    test registries speak plain http: docker credentials go to them with --allow-http-credentials
    unless `docker_over_http` is False."""
    env = {"PATH": (path_prefix + ":" if path_prefix else "") + os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": str(home), **(extra_env or {})}
    flags = []
    if docker_config is not None:
        d = os.path.join(str(home), "docker")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(docker_config, f)
        env["DOCKER_CONFIG"] = d
        if docker_over_http:
            flags.append("--allow-http-credentials")
    return subprocess.run([servers.BINARY, "--config", config, "push", "provider", "--service", "pub", *flags, *args],
                          capture_output=True, text=True, input=stdin, env=env, timeout=120)


def write_helper(directory, name, script):
    """A docker credential helper `docker-credential-<name>` running `script` (sh); returns its directory."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    helper = bin_dir / ("docker-credential-" + name)
    helper.write_text("#!/bin/sh\n" + script)
    helper.chmod(0o755)
    return str(bin_dir)


def read_back(registry, repo, tag, authorization):
    req = urllib.request.Request("%s/v2/%s/manifests/%s" % (registry.url, repo, tag),
                                 headers={"Accept": "application/vnd.oci.image.index.v1+json",
                                          "Authorization": authorization})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def assert_no_secret(proc, *secrets):
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr


@pytest.fixture(scope="module")
def htpasswd_registry(workdir):
    d = str(workdir / "push-htpasswd")
    os.makedirs(d)
    registry = servers.DockerRegistry(d, auth=servers.htpasswd_auth(d)).start()
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def token_registry(workdir):
    d = str(workdir / "push-token")
    os.makedirs(d)
    issuer = TokenIssuer(d)
    realm = Realm(issuer, grant_requested=True)
    registry = servers.DockerRegistry(d, auth=token_auth(realm, issuer)).start()
    registry.issuer, registry.realm = issuer, realm
    yield registry
    registry.stop()
    realm.stop()


def host_of(registry):
    return registry.url.split("://", 1)[1]


def test_without_credentials_a_push_is_refused_clearly(htpasswd_registry, tmp_path):
    zips = write_packages(tmp_path, "nocreds", "1.0.0", ["linux_amd64"])
    r = push(write_config(tmp_path, htpasswd_registry.url), tmp_path, "acme/nocreds", "1.0.0", *zips.values())
    assert r.returncode == 1
    assert "denied" in r.stderr and "docker login" in r.stderr and "--password-stdin" in r.stderr


def test_username_and_password_from_stdin(htpasswd_registry, tmp_path):
    zips = write_packages(tmp_path, "stdin", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, htpasswd_registry.url)
    wrong = push(config, tmp_path, "--username", "robot", "--password-stdin", "acme/stdin", "1.0.0", *zips.values(),
                 stdin="nope\n")
    assert wrong.returncode == 1 and "denied" in wrong.stderr
    assert_no_secret(wrong, "nope")
    r = push(config, tmp_path, "--username", "robot", "--password-stdin", "acme/stdin", "1.0.0", *zips.values(),
             stdin="pw\n")
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, ROBOT_AUTH.split()[1])
    assert read_back(htpasswd_registry, PREFIX + "/acme/stdin", "1.0.0", ROBOT_AUTH)["manifests"]
    empty = push(config, tmp_path, "--username", "robot", "--password-stdin", "acme/stdin", "1.0.0", *zips.values(),
                 stdin="")
    assert empty.returncode == 64 and "nothing was read" in empty.stderr
    alone = push(config, tmp_path, "--username", "robot", "acme/stdin", "1.0.0", *zips.values())
    assert alone.returncode == 64 and "go together" in alone.stderr


def test_service_origin_credentials(htpasswd_registry, tmp_path):
    zips = write_packages(tmp_path, "configured", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, htpasswd_registry.url,
                          '  origin_credentials {\n    username = "robot"\n    password = "pw"\n  }\n')
    r = push(config, tmp_path, "acme/configured", "1.0.0", *zips.values())
    assert r.returncode == 0, r.stderr
    assert read_back(htpasswd_registry, PREFIX + "/acme/configured", "1.0.0", ROBOT_AUTH)["manifests"]


def test_docker_config_auths(htpasswd_registry, tmp_path):
    zips = write_packages(tmp_path, "dockercfg", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, htpasswd_registry.url)
    docker = {"auths": {"http://" + host_of(htpasswd_registry): {"auth": ROBOT_AUTH.split()[1]}}}
    r = push(config, tmp_path, "acme/dockercfg", "1.0.0", *zips.values(), docker_config=docker)
    assert r.returncode == 0, r.stderr
    assert "using the credentials of %s/docker/config.json for %s" % (tmp_path, host_of(htpasswd_registry)) in r.stderr
    assert_no_secret(r, ROBOT_AUTH.split()[1])
    assert read_back(htpasswd_registry, PREFIX + "/acme/dockercfg", "1.0.0", ROBOT_AUTH)["manifests"]
    broken = push(config, tmp_path, "acme/dockercfg", "1.0.0", *zips.values(), docker_config=[])
    assert broken.returncode == 1 and "config.json: the docker configuration is not a JSON object" in broken.stderr


def test_docker_credentials_never_go_over_plain_http_unless_asked(htpasswd_registry, tmp_path):
    asked = tmp_path / "asked"
    bin_dir = write_helper(tmp_path, "otrtest", 'touch %s\nprintf \'{"Username":"robot","Secret":"pw"}\'\n' % asked)
    zips = write_packages(tmp_path, "plainhttp", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, htpasswd_registry.url)  # http://
    for docker in ({"auths": {host_of(htpasswd_registry): {"auth": ROBOT_AUTH.split()[1]}}},
                   {"credHelpers": {host_of(htpasswd_registry): "otrtest"}}):
        r = push(config, tmp_path, "acme/plainhttp", "1.0.0", *zips.values(), docker_config=docker,
                 path_prefix=bin_dir, docker_over_http=False)
        assert r.returncode == 1
        assert "not sending the credentials" in r.stderr and "--allow-http-credentials" in r.stderr
        assert "denied access (401)" in r.stderr
        assert not asked.exists()  # the helper was not even asked


def test_a_credential_helper_inherits_no_secret_of_ours(htpasswd_registry, tmp_path):
    seen = tmp_path / "helper-env"
    bin_dir = write_helper(tmp_path, "otrenv", 'env > %s\nprintf \'{"Username":"robot","Secret":"pw"}\'\n' % seen)
    zips = write_packages(tmp_path, "helperenv", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, htpasswd_registry.url)
    secret = "cd" * 32
    r = push(config, tmp_path, "acme/helperenv", "1.0.0", *zips.values(),
             docker_config={"credHelpers": {host_of(htpasswd_registry): "otrenv"}}, path_prefix=bin_dir,
             extra_env={"OCI_DISTRIBUTION_TERRAFORM_REGISTRY_QUERY_STRING_SECRET": secret})
    assert r.returncode == 0, r.stderr
    env = seen.read_text()
    assert "HOME=" in env  # the helper ran, with the environment it needs
    assert secret not in env and "QUERY_STRING_SECRET" not in env


def test_docker_credential_helper(htpasswd_registry, tmp_path):
    asked = tmp_path / "asked"
    bin_dir = write_helper(tmp_path, "otrtest", '[ "$1" = get ] || exit 2\ncat > %s\n'
                           'printf \'{"ServerURL":"x","Username":"robot","Secret":"pw"}\'\n' % asked)
    zips = write_packages(tmp_path, "helper", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, htpasswd_registry.url)
    docker = {"credHelpers": {host_of(htpasswd_registry): "otrtest"}, "credsStore": "does-not-exist"}
    r = push(config, tmp_path, "acme/helper", "1.0.0", *zips.values(), docker_config=docker, path_prefix=bin_dir)
    assert r.returncode == 0, r.stderr
    assert asked.read_text().strip() == host_of(htpasswd_registry)
    assert read_back(htpasswd_registry, PREFIX + "/acme/helper", "1.0.0", ROBOT_AUTH)["manifests"]
    # The store (for every other registry) names a helper that does not exist: a clear error.
    docker = {"credsStore": "does-not-exist"}
    r = push(config, tmp_path, "acme/helper", "1.0.0", *zips.values(), docker_config=docker)
    assert r.returncode == 1 and "docker-credential-does-not-exist cannot be run" in r.stderr


def test_bearer_registry_with_docker_login_asks_for_push_scope(token_registry, tmp_path):
    zips = write_packages(tmp_path, "bearer", "1.0.0", ["linux_amd64", "darwin_arm64"])
    config = write_config(tmp_path, token_registry.url)
    docker = {"auths": {host_of(token_registry): {"username": "robot", "password": "pw"}}}
    r = push(config, tmp_path, "acme/bearer", "1.0.0", *zips.values(), docker_config=docker)
    assert r.returncode == 0, r.stderr
    repo = PREFIX + "/acme/bearer"
    # Like docker and oras, one token with push access from the first request on (no pull-only detour).
    asked = [scopes for scopes in token_registry.realm.scopes if any(repo + ":" in x for x in scopes)]
    assert asked == [["repository:%s:pull,push" % repo]]
    token = token_registry.issuer.mint(repo)
    assert len(read_back(token_registry, repo, "1.0.0", "Bearer " + token)["manifests"]) == 2
    again = push(config, tmp_path, "acme/bearer", "1.0.0", *zips.values(), docker_config=docker)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_bearer_registry_with_an_identity_token(token_registry, tmp_path):
    zips = write_packages(tmp_path, "identity", "1.0.0", ["linux_amd64"])
    config = write_config(tmp_path, token_registry.url)
    docker = {"auths": {host_of(token_registry): {"identitytoken": Realm.REFRESH_TOKEN}}}
    r = push(config, tmp_path, "acme/identity", "1.0.0", *zips.values(), docker_config=docker)
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, Realm.REFRESH_TOKEN)
    repo = PREFIX + "/acme/identity"
    assert read_back(token_registry, repo, "1.0.0", "Bearer " + token_registry.issuer.mint(repo))["manifests"]
    docker = {"auths": {host_of(token_registry): {"identitytoken": "wrong"}}}
    r = push(config, tmp_path, "acme/identity", "1.0.1", *write_packages(tmp_path / "b", "identity", "1.0.1",
                                                                          ["linux_amd64"]).values(),
             docker_config=docker)
    assert r.returncode == 1 and "token service" in r.stderr


def test_bearer_registry_mount_asks_for_both_repositories(token_registry, tmp_path):
    from test_push_from_mirror import write_mirror
    mirror = str(tmp_path / "mirror")
    write_mirror(mirror)
    config = write_config(tmp_path, token_registry.url)
    docker_dir = tmp_path / "docker"
    docker_dir.mkdir()
    (docker_dir / "config.json").write_text(json.dumps({"auths": {host_of(token_registry): {"auth": ROBOT_AUTH.split()[1]}}}))
    before = len(token_registry.realm.scopes)
    r = subprocess.run([servers.BINARY, "--config", config, "push", "provider", "--service", "pub", "--from-mirror",
                        mirror, "--allow-http-credentials"], capture_output=True, text=True, timeout=120,
                       env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DOCKER_CONFIG": str(docker_dir)})
    assert r.returncode == 0, r.stderr
    assert "mounted from terraform-providers/registry.opentofu.org/hashicorp/random" in r.stdout
    # The mount needs pull on the source and push on the target: one token for both scopes. The
    # registry's challenge lists the actions in no fixed order ("push,pull" or "pull,push").
    def parsed(scope):
        head, actions = scope.rsplit(":", 1)
        kind, name = head.split(":", 1)
        return kind, name, frozenset(actions.split(","))
    target = ("repository", "%s/hashicorp/random" % PREFIX, frozenset({"pull", "push"}))
    source = ("repository", "terraform-providers/registry.opentofu.org/hashicorp/random", frozenset({"pull"}))
    asked = [{parsed(one) for one in scopes} for scopes in token_registry.realm.scopes[before:]]
    assert any({target, source} <= one for one in asked), token_registry.realm.scopes[before:]
