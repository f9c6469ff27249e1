"""The catalogue pages, rendered by a real browser (headless Chromium) from the real program behind nginx with
a real docker-registry. The tests assert on the DOM Chromium rendered (--dump-dom, parsed with html.parser);
screenshots are kept under the pytest tmp dir (and test-artifacts/ when OTR_TEST_ARTIFACTS is set)."""

import html.parser
import io
import os
import shutil
import subprocess
import zipfile

import pytest

import ocipush

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (scripts/install-deps.sh)")

README = "# Docs module\n\n<script>document.title='pwned'</script>\nUse it & enjoy.\n"


class Dom(html.parser.HTMLParser):
    """Elements as (tag, attrs, text) with their text content, scripts noted."""

    def __init__(self):
        super().__init__()
        self.stack, self.elements, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        element = [tag, dict(attrs), ""]
        self.elements.append(element)
        if tag not in ("meta", "link", "br", "img", "input"):
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element[2] += data

    def all(self, tag, cls=None):
        return [e for e in self.elements if e[0] == tag and (cls is None or cls in e[1].get("class", "").split())]

    def text(self, tag, cls=None):
        return [e[2] for e in self.all(tag, cls)]


def chromium(args, tmp_path):
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--ignore-certificate-errors",
           "--user-data-dir=" + str(profile), "--proxy-server=direct://", "--host-resolver-rules=MAP * ~NOTFOUND, "
           "EXCLUDE 127.0.0.1"] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def render(url, tmp_path, name):
    """The DOM Chromium rendered for `url`, with a screenshot kept as an artifact."""
    r = chromium(["--dump-dom", url], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    shot = tmp_path / (name + ".png")
    chromium(["--screenshot=" + str(shot), "--window-size=1200,1600", url], tmp_path)
    artifacts = os.environ.get("OTR_TEST_ARTIFACTS")
    if artifacts and shot.exists():
        os.makedirs(artifacts, exist_ok=True)
        shutil.copy(shot, os.path.join(artifacts, name + ".png"))
    dom = Dom()
    dom.feed(r.stdout)
    return dom


@pytest.fixture(scope="module")
def docs_module(registry, published):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("README.md", README)
        z.writestr("main.tf", 'variable "x" {}\n')
    ocipush.push_module(ocipush.Registry(registry.url), "terraform-providers/acme/docs/aws", "1.2.0", buf.getvalue())


def test_the_mirror_front_page_lists_the_stored_providers(nginx, published, tmp_path):
    dom = render(nginx.url + "/mirror/", tmp_path, "mirror-index")
    links = {text: e[1]["href"] for e in dom.all("a") for text in [e[2]]}
    assert links["registry.terraform.io/hashicorp/null"] == "/mirror/_catalog/registry.terraform.io/hashicorp/null/"
    assert "registry.terraform.io/acme/legacy" in links
    assert any('url = "' + nginx.url + '/mirror/"' in t for t in dom.text("pre", "cli-config"))
    assert dom.scripts == 0


def test_a_provider_page_shows_versions_platforms_and_hashes(nginx, published, tmp_path):
    dom = render(nginx.url + "/mirror/_catalog/registry.terraform.io/hashicorp/null/", tmp_path, "mirror-provider")
    assert dom.text("h1") == ["registry.terraform.io/hashicorp/null"]
    versions = dom.text("h3")
    assert set(versions) == {"3.2.0", "3.2.1-beta.1", "3.1.0+ent"}
    assert versions[0] == "3.2.1-beta.1"
    platforms = dom.text("td", "platform")
    assert "linux_amd64" in platforms and "windows_amd64" in platforms
    hashes = " ".join(dom.text("td", "hashes"))
    for platform, (digest, size, h1) in published.null["3.2.0"].items():
        assert h1 in hashes
        assert "zh:" + digest[len("sha256:"):] in hashes
    usage = dom.text("pre", "usage")[0]
    assert 'source  = "registry.terraform.io/hashicorp/null"' in usage
    assert 'include = ["registry.terraform.io/hashicorp/null"]' in dom.text("pre", "cli-config")[0]


def test_a_module_page_shows_its_readme_as_text(nginx, docs_module, tmp_path):
    index = render(nginx.url + "/modules/", tmp_path, "modules-index")
    assert "acme/docs/aws" in [e[2] for e in index.all("a")]
    dom = render(nginx.url + "/modules/_catalog/acme/docs/aws/", tmp_path, "module-page")
    assert dom.scripts == 0  # the README's <script> is text, not an element
    readme = dom.text("pre", "readme")
    assert readme == [README]
    usage = dom.text("pre", "usage")[0]
    assert "/acme/docs/aws\"" in usage and 'version = "1.2.0"' in usage
    title = chromium(["--dump-dom", nginx.url + "/modules/_catalog/acme/docs/aws/"], tmp_path).stdout
    assert "<title>pwned</title>" not in title
    assert (tmp_path / "module-page.png").exists()


def test_a_page_without_its_trailing_slash_is_redirected_to_it(nginx, published, tmp_path):
    # A page asked for without its slash is redirected to it; the browser follows.
    dom = render(nginx.url + "/mirror/_catalog/registry.terraform.io/acme/legacy", tmp_path, "redirected")
    assert dom.text("h1") == ["registry.terraform.io/acme/legacy"]
    assert "linux_amd64" in dom.text("td", "platform")
