"""`check-config --online` against Debian's docker-registry, plain and htpasswd-protected: one line per
service, exit 1 naming what fails, no secret in the output, nothing written into the registries."""

import base64
import http.server
import json
import os
import threading
import urllib.request

import pytest

import ocipush
import servers
from test_cli import run

PREFIX = "terraform-providers"
PASSWORD = "online-pw-7f3"
ROBOT_AUTH = "Basic " + base64.b64encode(("robot:" + PASSWORD).encode()).decode()


def catalog(registry, authorization=None):
    req = urllib.request.Request(registry.url + "/v2/_catalog", headers={"Authorization": authorization} if authorization else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["repositories"]


def plain_tags(registry):
    with urllib.request.urlopen(registry.url + "/v2/%s/hashicorp/null/tags/list" % PREFIX, timeout=10) as r:
        return json.loads(r.read())["tags"]


def publish(registry, authorization=None):
    push = ocipush.Registry(registry.url, authorization=authorization)
    ocipush.push_opentofu_release(push, PREFIX + "/hashicorp/null", "1.0.0",
                                  {"linux_amd64": ocipush.provider_zip("terraform-provider-null_v1.0.0")})


@pytest.fixture(scope="module")
def plain_registry(workdir):
    d = str(workdir / "online-plain")
    os.makedirs(d)
    registry = servers.DockerRegistry(d).start()
    publish(registry)
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def htpasswd_registry(workdir):
    d = str(workdir / "online-htpasswd")
    os.makedirs(d)
    registry = servers.DockerRegistry(d, auth=servers.htpasswd_auth(d, password=PASSWORD)).start()
    publish(registry, ROBOT_AUTH)
    yield registry
    registry.stop()


class _Discovery(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/.well-known/terraform.json":
            self.send_error(404)
            return
        body = b'{"providers.v1":"/v1/providers/"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def upstream():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def write_config(tmp_path, plain_url, protected_url, upstream_url, password=PASSWORD):
    path = tmp_path / "online.hcl"
    path.write_text(
        'provider_mirror "mirror" {\n  origin_url = "%s"\n  name_prefix = "%s"\n'
        '  connect_timeout = "3s"\n  request_timeout = "10s"\n}\n'
        'provider_mirror "pub" {\n  origin_url = "%s"\n  name_prefix = "%s"\n'
        '  origin_credentials {\n    username = "robot"\n    password = "%s"\n  }\n'
        '  upstream {\n    url = "%s"\n  }\n}\n' % (plain_url, PREFIX, protected_url, PREFIX, password, upstream_url))
    return str(path)


def online(config):
    return run("--config", config, "check-config", "--online")


def test_a_good_configuration_passes_with_one_line_per_service(plain_registry, htpasswd_registry, upstream, tmp_path):
    before = catalog(htpasswd_registry, ROBOT_AUTH)
    r = online(write_config(tmp_path, plain_registry.url, htpasswd_registry.url, upstream))
    assert r.returncode == 0, r.stdout + r.stderr
    repo = PREFIX + "/hashicorp/null"
    tags = len(plain_tags(plain_registry))
    assert ("mirror: registry %s reachable, anonymous access, 1 repository under %s, tags of %s: %d\n"
            % (plain_registry.url, PREFIX, repo, tags)) in r.stdout
    assert ("pub: registry %s reachable, credentials accepted, 1 repository under %s, tags of %s: %d, push: yes, "
            "upstream %s reachable (providers.v1 /v1/providers/)\n"
            % (htpasswd_registry.url, PREFIX, repo, tags, upstream)) in r.stdout
    assert PASSWORD not in r.stdout + r.stderr
    # The push check started an upload and cancelled it: no repository appeared.
    assert catalog(htpasswd_registry, ROBOT_AUTH) == before


def test_a_wrong_password_fails_naming_the_service_without_the_password(plain_registry, htpasswd_registry, upstream,
                                                                       tmp_path):
    wrong = "not-the-pw-" + "9c1e"
    r = online(write_config(tmp_path, plain_registry.url, htpasswd_registry.url, upstream, password=wrong))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "pub: registry %s reachable, credentials refused (401), upstream " % htpasswd_registry.url in r.stdout
    assert "mirror: registry %s reachable, anonymous access" % plain_registry.url in r.stdout
    assert "1 of 2 service(s) failed the online check" in r.stderr
    assert wrong not in r.stdout + r.stderr and PASSWORD not in r.stdout + r.stderr


def test_a_stopped_registry_is_unreachable(workdir, htpasswd_registry, upstream, tmp_path):
    d = str(workdir / "online-stopped")
    os.makedirs(d)
    stopped = servers.DockerRegistry(d).start()
    stopped.stop()
    r = online(write_config(tmp_path, stopped.url, htpasswd_registry.url, upstream))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "mirror: registry %s unreachable (" % stopped.url in r.stdout
    assert "pub: registry %s reachable, credentials accepted" % htpasswd_registry.url in r.stdout


def test_the_offline_check_is_unchanged_without_the_flag(plain_registry, htpasswd_registry, upstream, tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    r = run("--config", write_config(d, "http://127.0.0.1:1", htpasswd_registry.url, upstream), "check-config")
    assert r.returncode == 0, r.stderr
    assert "unreachable" not in r.stdout
    assert "--online" in run("check-config", "--help").stdout
