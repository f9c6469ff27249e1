"""The Provider Network Mirror Protocol through nginx, lighttpd and Apache+mod_fcgid."""

import hashlib
import json

import servers

NULL = "/mirror/registry.terraform.io/hashicorp/null"


def test_index_lists_versions_and_ignores_other_tags(frontend, published):
    r = frontend.client.get(NULL + "/index.json")
    assert r.status == 200
    assert r.content_type == "application/json"
    assert r.json() == {"versions": {"3.1.0+ent": {}, "3.2.0": {}, "3.2.1-beta.1": {}}}


def test_opentofu_hostname_is_an_alias(frontend, published):
    r = frontend.client.get("/mirror/registry.opentofu.org/hashicorp/null/index.json")
    assert r.status == 200
    assert "3.2.0" in r.json()["versions"]


def test_conditional_get(frontend, published):
    first = frontend.client.get(NULL + "/index.json")
    etag = first.headers["ETag"]
    assert etag
    again = frontend.client.get(NULL + "/index.json", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""


def test_version_document_opentofu_layout(frontend, published):
    r = frontend.client.get(NULL + "/3.2.0.json")
    assert r.status == 200
    assert r.content_type == "application/json"
    archives = r.json()["archives"]
    expected = published.null["3.2.0"]
    assert sorted(archives) == sorted(expected)
    for platform, (digest, size, h1) in expected.items():
        assert archives[platform]["hashes"] == [h1, "zh:" + digest[len("sha256:"):]]
        assert archives[platform]["url"].startswith("/mirror/_packages/" + digest + "/terraform-provider-null_3.2.0_")
        assert archives[platform]["url"].split("?")[0].endswith("_%s.zip" % platform)


def test_build_metadata_version(frontend, published):
    r = frontend.client.get(NULL + "/3.1.0+ent.json")
    assert r.status == 200
    assert sorted(r.json()["archives"]) == ["darwin_arm64", "linux_amd64", "windows_amd64"]


def test_version_document_legacy_layout(frontend, published):
    r = frontend.client.get("/mirror/registry.terraform.io/acme/legacy/1.0.0.json")
    assert r.status == 200
    archives = r.json()["archives"]
    assert sorted(archives) == sorted(published.legacy)
    for platform, digest in published.legacy.items():
        assert archives[platform]["hashes"] == ["zh:" + digest[len("sha256:"):]]


def test_proxied_download_is_byte_identical_and_head_works(frontend, published):
    archives = frontend.client.get(NULL + "/3.2.0.json").json()["archives"]
    url = archives["linux_amd64"]["url"]
    digest, size, _ = published.null["3.2.0"]["linux_amd64"]
    r = frontend.client.get(url)
    assert r.status == 200
    assert r.content_type == "application/zip"
    assert int(r.headers["Content-Length"]) == size
    assert "sha256:" + hashlib.sha256(r.body).hexdigest() == digest
    head = frontend.client.request(url, method="HEAD")
    assert head.status == 200
    assert int(head.headers["Content-Length"]) == size
    assert head.body == b""


def test_large_proxied_download(frontend, published):
    archives = frontend.client.get("/mirror/registry.terraform.io/acme/big/1.0.0.json").json()["archives"]
    r = frontend.client.get(archives["linux_amd64"]["url"], timeout=120)
    digest, size = published.big
    assert r.status == 200
    assert len(r.body) == size
    assert "sha256:" + hashlib.sha256(r.body).hexdigest() == digest


def test_unknown_provider_and_version_are_json_404s(frontend, published):
    for path in ("/mirror/registry.terraform.io/nobody/nothing/index.json", NULL + "/9.9.9.json",
                 NULL + "/not-a-version.json", "/mirror/registry.terraform.io/hashicorp/null/extra/index.json"):
        r = frontend.client.get(path)
        assert r.status == 404, path
        assert r.content_type == "application/json", path
        assert r.json()["errors"], path


def test_tampered_or_missing_token_is_refused(frontend, published):
    url = frontend.client.get(NULL + "/3.2.0.json").json()["archives"]["linux_amd64"]["url"]
    base, token = url.split("?token=")
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (base + "?token=" + flipped, base, base + "?token=garbage"):
        r = frontend.client.get(bad)
        assert r.status == 403, bad
        assert r.content_type == "application/json"
    # A valid token for another digest does not open this one.
    other = frontend.client.get(NULL + "/3.2.0.json").json()["archives"]["darwin_arm64"]["url"]
    r = frontend.client.get(base + "?token=" + other.split("?token=")[1])
    assert r.status == 403


def test_odd_paths_are_refused(frontend, published):
    for line in ("GET /mirror/registry.terraform.io/hashicorp%2Fnull/x/index.json HTTP/1.1",
                 "GET /mirror/registry.terraform.io/%2e%2e/null/index.json HTTP/1.1",
                 "GET /mirror//hashicorp/null/index.json HTTP/1.1",
                 "GET /mirror/" + "a" * 3000 + "/index.json HTTP/1.1"):
        status, _, _ = servers.raw_request(frontend.port, frontend.ca, line)
        assert status in (400, 404, 414), line


def test_tag_list_pages_are_all_read(frontend, published):
    r = frontend.client.get("/mirror/registry.terraform.io/acme/paged/index.json")
    assert r.status == 200
    assert sorted(r.json()["versions"]) == sorted(published.paged_versions)


def test_service_page(frontend):
    r = frontend.client.get("/mirror/")
    assert r.status == 200
    assert r.content_type.startswith("text/html")
    assert b"network_mirror" in r.body
    assert frontend.client.get("/mirror").status == 301


# ---- nginx only: the routes the other examples do not send to the application

def test_healthz(client):
    r = client.get("/healthz")
    assert r.status == 200
    assert r.json() == {"status": "ok"}


def test_direct_downloads_point_at_the_registry(client, registry, published):
    r = client.get("/direct/registry.terraform.io/hashicorp/null/3.2.0.json")
    assert r.status == 200
    digest, size, h1 = published.null["3.2.0"]["linux_amd64"]
    archive = r.json()["archives"]["linux_amd64"]
    assert archive["url"] == registry.url + "/v2/terraform-providers/registry.terraform.io/hashicorp/null/blobs/" + digest
    assert archive["hashes"] == [h1, "zh:" + digest[7:]]
    import urllib.request
    with urllib.request.urlopen(archive["url"], timeout=10) as blob:
        assert "sha256:" + hashlib.sha256(blob.read()).hexdigest() == digest


def test_a_direct_service_does_not_proxy_even_with_a_sealed_url(client, published):
    """A token sealed for the proxying service does not open downloads on a service that does not proxy."""
    url = client.get(NULL + "/3.2.0.json").json()["archives"]["linux_amd64"]["url"]
    r = client.get(url.replace("/mirror/", "/direct/", 1))
    assert r.status == 404
    assert r.json()["errors"] == ["this service does not proxy package downloads"]


def test_unknown_service_and_method(client):
    r = client.get("/nothing/here")
    assert r.status == 404
    assert r.content_type == "application/json"
    r = client.request("/mirror/registry.terraform.io/hashicorp/null/index.json", method="DELETE")
    assert r.status == 405
    assert r.headers["Allow"] == "GET, HEAD"


def test_sealed_tokens_stay_out_of_the_web_servers_access_log(frontend, published):
    """Issue 18, finding 10: each shipped example logs the path of a sealed download, never its ?token=."""
    url = frontend.client.get(NULL + "/3.2.0.json").json()["archives"]["linux_amd64"]["url"]
    path, token = url.split("?token=")
    assert frontend.client.get(url).status == 200
    # The web servers write their line after the answer: wait for the download's.
    servers.wait_until(lambda: any(path in line and " 200 " in line for line in frontend.access_log().splitlines()),
                       "%s's access log line for %s" % (frontend.name, path), timeout=10)
    log = frontend.access_log()
    assert token not in log
    assert "token=" not in log
