"""A registry that demands a bearer token: the user's credentials for the mirror reach the registry.

proxy_packages = true: the client's token goes to the registry for the metadata, and rides sealed in the
download URLs (OpenTofu sends no credentials when it downloads a package).
"""

import os

import pytest

import servers
from conftest import WIDGET_REPO, lock_entries, mirror_cli_config, mirror_services, plain, project, publish_widget
from registry_tokens import Realm, TokenIssuer, token_auth

ADDRESS = "registry.opentofu.org/acme/widget"


@pytest.fixture(scope="module")
def token_stack(workdir, tls, tools):
    d = str(workdir / "token")
    os.makedirs(d)
    issuer = TokenIssuer(d)
    realm = Realm(issuer)
    registry = servers.DockerRegistry(d, auth=token_auth(realm, issuer)).start()
    widget = publish_widget(registry.url, tools, authorization="Bearer " + issuer.mint(WIDGET_REPO, ("pull", "push")),
                            versions=("1.1.0",))
    stack = servers.NginxStack(os.path.join(d, "app"), mirror_services(registry.url, tls[0], {"private": True}), tls)
    yield stack.nginx, stack.app, issuer, widget
    stack.stop()
    registry.stop()
    realm.stop()


def test_without_credentials_the_client_reports_an_authentication_error(token_stack, tofu_factory, tmp_path):
    nginx, _, _, _ = token_stack
    tofu = tofu_factory(mirror_cli_config(nginx.url + "/private/"))
    work = project(str(tmp_path / "work"))
    init = tofu.run(work, "init", check=False)
    assert init.returncode == 1
    assert ("host 127.0.0.1:%d rejected the given authentication credentials" % nginx.port) in plain(init.stderr)
    assert not os.path.exists(os.path.join(work, ".terraform.lock.hcl"))


def test_with_a_credentials_block_init_succeeds_and_the_token_stays_secret(token_stack, tofu_factory, tmp_path):
    nginx, app, issuer, widget = token_stack
    token = issuer.mint(WIDGET_REPO)
    tofu = tofu_factory(mirror_cli_config(nginx.url + "/private/") +
                        'credentials "127.0.0.1:%d" {\n  token = "%s"\n}\n' % (nginx.port, token))
    work = project(str(tmp_path / "work"))
    tofu.run(work, "init")
    version, hashes = lock_entries(work)[ADDRESS]
    assert version == "1.1.0"
    assert widget.hashes("1.1.0", "linux_amd64") <= hashes
    tofu.run(work, "apply", "-auto-approve")
    assert tofu.run(work, "output", "-raw", "greeting").stdout == "hello, demo"
    log = app.log()
    assert "/private/registry.opentofu.org/acme/widget/1.1.0.json" in log  # the requests were logged...
    assert token not in log                                                   # ...never the token
    assert token.split(".")[2] not in log
    assert "token=" not in log
