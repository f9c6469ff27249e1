"""Registries that demand credentials: htpasswd (Basic) and bearer tokens from a token service."""

import base64
import hashlib
import os

import pytest

import ocipush
import servers
from registry_tokens import Realm, TokenIssuer, token_auth

REPO = "terraform-providers/registry.terraform.io/acme/private"


def publish(registry_url, authorization):
    push = ocipush.Registry(registry_url, authorization=authorization)
    zip_bytes = ocipush.provider_zip("terraform-provider-private_v1.0.0")
    return ocipush.push_opentofu_release(push, REPO, "1.0.0", {"linux_amd64": zip_bytes})["linux_amd64"]


def stack(directory, registry_url, services, tls):
    """The application with the given provider_mirror blocks, behind nginx."""
    blocks = "".join('provider_mirror "%s" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                     '  proxy_packages = true\n%s}\n' % (name, registry_url, extra) for name, extra in services.items())
    s = servers.NginxStack(directory, blocks, tls)
    return s.app, s.nginx, s.client


@pytest.fixture(scope="module")
def htpasswd_stack(workdir, tls):
    d = str(workdir / "htpasswd")
    os.makedirs(d)
    registry = servers.DockerRegistry(d, auth=servers.htpasswd_auth(d)).start()
    published = publish(registry.url, "Basic " + base64.b64encode(b"robot:pw").decode())
    app, nginx, client = stack(os.path.join(d, "app"), registry.url, {
        "anonymous": "",
        "robot": '  origin_credentials {\n    username = "robot"\n    password = "pw"\n  }\n',
        "wrong": '  origin_credentials {\n    username = "robot"\n    password = "nope"\n  }\n',
    }, tls)
    yield client, published, app
    nginx.stop()
    app.stop()
    registry.stop()


def test_basic_auth_registry_without_credentials_is_401(htpasswd_stack):
    client, _, _ = htpasswd_stack
    r = client.get("/anonymous/registry.terraform.io/acme/private/index.json")
    assert r.status == 401
    assert r.content_type == "application/json"
    assert client.get("/wrong/registry.terraform.io/acme/private/index.json").status == 401


def test_basic_auth_registry_with_configured_credentials(htpasswd_stack):
    client, (digest, size, _), _ = htpasswd_stack
    r = client.get("/robot/registry.terraform.io/acme/private/index.json")
    assert r.status == 200
    assert r.json() == {"versions": {"1.0.0": {}}}
    doc = client.get("/robot/registry.terraform.io/acme/private/1.0.0.json")
    assert doc.status == 200
    url = doc.json()["archives"]["linux_amd64"]["url"]
    download = client.get(url)  # no credentials, as Terraform downloads
    assert download.status == 200
    assert "sha256:" + hashlib.sha256(download.body).hexdigest() == digest
    # What "robot" fetched (and cached) never answers for the other services on the same registry.
    for service in ("anonymous", "wrong"):
        for document in ("index.json", "1.0.0.json"):
            assert client.get("/%s/registry.terraform.io/acme/private/%s" % (service, document)).status == 401


@pytest.fixture(scope="module")
def token_stack(workdir, tls):
    d = str(workdir / "token")
    os.makedirs(d)
    issuer = TokenIssuer(d)
    realm = Realm(issuer)
    registry = servers.DockerRegistry(d, auth=token_auth(realm, issuer)).start()
    published = publish(registry.url, "Bearer " + issuer.mint(REPO, ("pull", "push")))
    app, nginx, client = stack(os.path.join(d, "app"), registry.url, {
        "anonymous": "",
        "robot": '  origin_credentials {\n    username = "robot"\n    password = "pw"\n  }\n',
    }, tls)
    yield client, published, app, issuer, realm
    nginx.stop()
    app.stop()
    registry.stop()
    realm.stop()


def test_bearer_challenge_is_answered_with_configured_credentials(token_stack):
    client, (digest, _, h1), _, _, realm = token_stack
    before = realm.requests
    r = client.get("/robot/registry.terraform.io/acme/private/1.0.0.json")
    assert r.status == 200
    assert r.json()["archives"]["linux_amd64"]["hashes"] == [h1, "zh:" + digest[7:]]
    assert realm.requests > before
    # The token is reused until it expires: no new trip to the realm for the same repository.
    after = realm.requests
    download = client.get(r.json()["archives"]["linux_amd64"]["url"])
    assert download.status == 200
    assert "sha256:" + hashlib.sha256(download.body).hexdigest() == digest
    assert realm.requests == after


def test_bearer_registry_refuses_anonymous_callers(token_stack):
    client = token_stack[0]
    r = client.get("/anonymous/registry.terraform.io/acme/private/index.json")
    assert r.status == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_callers_token_goes_through_and_rides_in_the_download_url(token_stack):
    client, (digest, _, _), app, issuer, _ = token_stack
    token = issuer.mint(REPO)
    auth = {"Authorization": "Bearer " + token}
    index = client.get("/anonymous/registry.terraform.io/acme/private/index.json", headers=auth)
    assert index.status == 200
    assert index.headers["Cache-Control"].startswith("private")
    doc = client.get("/anonymous/registry.terraform.io/acme/private/1.0.0.json", headers=auth)
    assert doc.status == 200
    url = doc.json()["archives"]["linux_amd64"]["url"]
    assert token not in url
    download = client.get(url)  # Terraform sends no credentials here: the sealed URL carries them
    assert download.status == 200
    assert "sha256:" + hashlib.sha256(download.body).hexdigest() == digest
    # Nobody else gets that answer from the cache.
    assert client.get("/anonymous/registry.terraform.io/acme/private/1.0.0.json").status == 401
    log = app.log()
    assert token not in log
    assert url.split("?token=")[1] not in log
    assert "token=" not in log
