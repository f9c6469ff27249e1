"""Publishes Terraform provider fixtures into an OCI Distribution registry (tests, demo, benchmarks).

A small test helper of our own, standard library only. It writes both layouts the product reads
(see README "Repository layout in the registry"):

- OpenTofu's: tag -> image index (artifactType application/vnd.opentofu.provider) -> one image
  manifest per platform (artifactType application/vnd.opentofu.provider-target) with one
  archive/zip layer, annotated with the package's h1: hash;
- the original Go tool's: tag -> one image manifest whose provider-package+zip layers carry
  io.terraform.target-platforms.

Command line (used by scripts/demo.sh and bench/run.sh):
    python3 ocipush.py REGISTRY_URL REPOSITORY VERSION [os_arch ...]
"""

import base64
import hashlib
import io
import json
import ssl
import sys
import urllib.error
import urllib.request
import zipfile

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
PROVIDER = "application/vnd.opentofu.provider"
TARGET = "application/vnd.opentofu.provider-target"
LEGACY_CONFIG = "application/vnd.hashicorp.terraform-provider.config.v1+json"
LEGACY_LAYER = "application/vnd.hashicorp.terraform.provider-package+zip"
H1_ANNOTATION = "io.terraform.provider.package.h1"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(NoRedirect)


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def provider_zip(name, size=0, seed=""):
    """A deterministic provider package: one executable entry, optionally padded to `size` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        body = ("#!/bin/sh\necho %s %s\n" % (name, seed)).encode()
        if size > len(body):
            body += b"\0" * (size - len(body))
        z.writestr(info, body)
    return buf.getvalue()


def h1_hash(zip_bytes):
    """Terraform's h1: hash (dirhash Hash1) of a zip's contents."""
    lines = []
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        for name in sorted(z.namelist()):
            lines.append("%s  %s\n" % (hashlib.sha256(z.read(name)).hexdigest(), name))
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


class Registry:
    """Just enough of the OCI Distribution push API."""

    def __init__(self, url, authorization=None, ca_file=None):
        self.url = url.rstrip("/")
        self.authorization = authorization
        self.opener = _opener
        if ca_file:
            context = ssl.create_default_context(cafile=ca_file)
            self.opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))

    def _request(self, method, path_or_url, data=None, headers=None):
        url = path_or_url if path_or_url.startswith("http") else self.url + path_or_url
        headers = dict(headers or {})
        if self.authorization:
            headers["Authorization"] = self.authorization
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        return self.opener.open(req, timeout=60)

    def has_blob(self, repo, digest):
        try:
            self._request("HEAD", "/v2/%s/blobs/%s" % (repo, digest)).close()
            return True
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return False
            raise

    def push_blob(self, repo, data):
        digest = sha256_digest(data)
        if self.has_blob(repo, digest):
            return digest, len(data)
        location = self._upload_location(repo)
        sep = "&" if "?" in location else "?"
        self._request("PUT", location + sep + "digest=" + digest, data,
                      {"Content-Type": "application/octet-stream"}).close()
        return digest, len(data)

    def push_blob_file(self, repo, path):
        """Streams a file as one blob without holding it in memory."""
        h = hashlib.sha256()
        size = 0
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
        digest = "sha256:" + h.hexdigest()
        if not self.has_blob(repo, digest):
            location = self._upload_location(repo)
            sep = "&" if "?" in location else "?"
            with open(path, "rb") as f:
                req = urllib.request.Request(location + sep + "digest=" + digest, data=f, method="PUT",
                                             headers={"Content-Type": "application/octet-stream",
                                                      "Content-Length": str(size)})
                if self.authorization:
                    req.add_header("Authorization", self.authorization)
                self.opener.open(req, timeout=600).close()
        return digest, size

    def _upload_location(self, repo):
        with self._request("POST", "/v2/%s/blobs/uploads/" % repo, b"") as r:
            location = r.headers["Location"]
        return location if location.startswith("http") else self.url + location

    def get_manifest(self, repo, reference):
        """The manifest or index a tag or digest names, parsed."""
        with self._request("GET", "/v2/%s/manifests/%s" % (repo, reference),
                           headers={"Accept": INDEX + ", " + MANIFEST}) as r:
            return json.loads(r.read())

    def manifest_digest(self, repo, reference):
        """The digest of the manifest or index a tag names, as the registry stored it."""
        with self._request("HEAD", "/v2/%s/manifests/%s" % (repo, reference),
                           headers={"Accept": INDEX + ", " + MANIFEST}) as r:
            return r.headers["Docker-Content-Digest"]

    def push_manifest(self, repo, reference, manifest):
        data = json.dumps(manifest, separators=(",", ":")).encode()
        self._request("PUT", "/v2/%s/manifests/%s" % (repo, reference), data,
                      {"Content-Type": manifest["mediaType"]}).close()
        return sha256_digest(data), len(data)


def tag_of(version):
    return version.replace("+", "_")


def push_opentofu_release(reg, repo, version, packages, h1=True):
    """packages: {"linux_amd64": zip_bytes, ...}. Returns {"linux_amd64": (zip_digest, size, h1)}."""
    empty_digest, _ = reg.push_blob(repo, b"{}")
    descriptors = []
    result = {}
    for platform, zip_bytes in sorted(packages.items()):
        os_, arch = platform.split("_", 1)
        digest, size = reg.push_blob(repo, zip_bytes)
        result[platform] = (digest, size, h1_hash(zip_bytes))
        annotations = {H1_ANNOTATION: result[platform][2]} if h1 else {}
        manifest = {
            "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": TARGET,
            "config": {"mediaType": EMPTY, "digest": empty_digest, "size": 2},
            "layers": [dict({"mediaType": "archive/zip", "digest": digest, "size": size},
                            **({"annotations": annotations} if annotations else {}))],
        }
        if annotations:
            manifest["annotations"] = annotations
        m_digest, m_size = reg.push_manifest(repo, digest.replace(":", "-"), manifest)
        descriptors.append({"mediaType": MANIFEST, "artifactType": TARGET, "digest": m_digest, "size": m_size,
                            "platform": {"os": os_, "architecture": arch}})
    index = {"schemaVersion": 2, "mediaType": INDEX, "artifactType": PROVIDER, "manifests": descriptors}
    reg.push_manifest(repo, tag_of(version), index)
    return result


def push_opentofu_release_from_file(reg, repo, version, platform, path):
    """One platform whose package is a (large) file on disk, streamed."""
    empty_digest, _ = reg.push_blob(repo, b"{}")
    digest, size = reg.push_blob_file(repo, path)
    os_, arch = platform.split("_", 1)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": TARGET,
                "config": {"mediaType": EMPTY, "digest": empty_digest, "size": 2},
                "layers": [{"mediaType": "archive/zip", "digest": digest, "size": size}]}
    m_digest, m_size = reg.push_manifest(repo, digest.replace(":", "-"), manifest)
    index = {"schemaVersion": 2, "mediaType": INDEX, "artifactType": PROVIDER,
             "manifests": [{"mediaType": MANIFEST, "artifactType": TARGET, "digest": m_digest, "size": m_size,
                            "platform": {"os": os_, "architecture": arch}}]}
    reg.push_manifest(repo, tag_of(version), index)
    return digest, size


def push_legacy_release(reg, repo, version, layers):
    """layers: [(zip_bytes, "linux_amd64,darwin_amd64"), ...] in the original Go tool's layout."""
    config_digest, config_size = reg.push_blob(repo, b"{}")
    descriptors = []
    for zip_bytes, platforms in layers:
        digest, size = reg.push_blob(repo, zip_bytes)
        descriptors.append({"mediaType": LEGACY_LAYER, "digest": digest, "size": size,
                            "annotations": {"io.terraform.target-platforms": platforms}})
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                "config": {"mediaType": LEGACY_CONFIG, "digest": config_digest, "size": config_size},
                "layers": descriptors}
    return reg.push_manifest(repo, tag_of(version), manifest)


MODULE = "application/vnd.opentofu.modulepkg"
SHASUMS = "application/vnd.terraform.provider.shasums"


def push_module(reg, repo, version, zip_bytes):
    """A module package in OpenTofu's layout: one image manifest, one archive/zip layer."""
    empty_digest, _ = reg.push_blob(repo, b"{}")
    digest, size = reg.push_blob(repo, zip_bytes)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": MODULE,
                "config": {"mediaType": EMPTY, "digest": empty_digest, "size": 2},
                "layers": [{"mediaType": "archive/zip", "digest": digest, "size": size}]}
    reg.push_manifest(repo, tag_of(version), manifest)
    return digest


def attach_signed_checksums(reg, repo, version, shasums, signature, public_key):
    """Adds the publisher's signed checksums to a release index (SHASUMS descriptor)."""
    with reg._request("GET", "/v2/%s/manifests/%s" % (repo, tag_of(version)), headers={"Accept": INDEX}) as r:
        index = json.loads(r.read())
    empty_digest, _ = reg.push_blob(repo, b"{}")
    layers = []
    for media_type, data in (("text/plain", shasums), ("application/pgp-signature", signature),
                             ("application/pgp-keys", public_key)):
        digest, size = reg.push_blob(repo, data)
        layers.append({"mediaType": media_type, "digest": digest, "size": size})
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": SHASUMS,
                "config": {"mediaType": EMPTY, "digest": empty_digest, "size": 2}, "layers": layers}
    m_digest, m_size = reg.push_manifest(repo, "shasums-" + tag_of(version), manifest)
    index["manifests"] = [d for d in index["manifests"] if d.get("artifactType") != SHASUMS]
    index["manifests"].append({"mediaType": MANIFEST, "artifactType": SHASUMS, "digest": m_digest, "size": m_size})
    reg.push_manifest(repo, tag_of(version), index)


def push_extra_tag(reg, repo, tag, target_version):
    """Points another tag (e.g. "latest") at an existing release; readers must ignore it."""
    with reg._request("GET", "/v2/%s/manifests/%s" % (repo, tag_of(target_version)),
                      headers={"Accept": INDEX + ", " + MANIFEST}) as r:
        data = r.read()
        media_type = r.headers["Content-Type"]
    reg._request("PUT", "/v2/%s/manifests/%s" % (repo, tag), data, {"Content-Type": media_type}).close()


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    url, repo, version = argv[1:4]
    platforms = argv[4:] or ["linux_amd64", "darwin_arm64", "windows_amd64"]
    name = repo.rsplit("/", 1)[-1]
    packages = {p: provider_zip("terraform-provider-%s_v%s" % (name, version), seed=p) for p in platforms}
    for platform, (digest, size, h1) in push_opentofu_release(Registry(url), repo, version, packages).items():
        print("%s %s %s %d bytes %s" % (repo, version, platform, size, h1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
