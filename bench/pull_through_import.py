#!/usr/bin/env python3
"""Pull-through import (figures, not tests): a release of 4 platforms x 50 MB packages imported from an
upstream provider registry by the pull-through's provider_registry, over loopback, TLS on both sides.

The servers are the acceptance tests' (test/acceptance/pullthrough.py): the upstream is this program's
provider_registry (its own signing key, proxied downloads) in front of its own docker-registry, behind nginx;
the pull-through is this program with an `upstream { }` block in front of an empty docker-registry whose
access log is on, behind nginx. Packages are zips of random bytes (incompressible). Every run imports a
release of its own, with bytes of its own, so no run finds blobs an earlier one left.

Per run:
- push: `push provider` of the release into the upstream (for scale: the same bytes hashed and uploaded once);
- direct: a client fetching the four packages from the upstream (download document, then the package, with
  curl): what an import has to move at the least;
- import: the first download document asked of the pull-through, which waits for the import of all platforms;
- stored: the same document asked again, served from the pull-through's registry;
- the registry calls the import made, from the pull-through registry's access log.

Usage: bench/pull_through_import.py [--size-mb 50] [--platforms 4] [--runs 3]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
sys.path.insert(0, os.path.join(ROOT, "test", "acceptance"))

import pullthrough  # noqa: E402
import servers  # noqa: E402

ADDRESS = "acme/bench"
PLATFORMS = ("darwin_arm64", "linux_amd64", "linux_arm64", "windows_amd64", "darwin_amd64", "linux_386",
             "freebsd_amd64", "windows_386")


def curl_get(url, ca):
    """(status, bytes, seconds) of one GET with curl, the body thrown away."""
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "--cacert", ca, "-w",
                          "%{http_code} %{size_download} %{time_total}", url],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]), float(out[2])


def timed_json(client, path):
    started = time.monotonic()
    r = client.get(path, timeout=900)
    seconds = time.monotonic() - started
    if r.status != 200:
        raise SystemExit("%s answered %d: %s" % (path, r.status, r.body[:2000].decode(errors="replace")))
    return r.json(), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=50, help="size of each package (MB)")
    parser.add_argument("--platforms", type=int, default=4, choices=range(1, len(PLATFORMS) + 1))
    parser.add_argument("--runs", type=int, default=3, help="releases imported, one after the other")
    args = parser.parse_args()
    size = args.size_mb << 20
    platforms = sorted(PLATFORMS[:args.platforms])

    work = tempfile.mkdtemp(prefix="oci-tf-registry-bench-pull-through-")
    os.chmod(work, 0o755)
    os.makedirs(os.path.join(work, "tls"))
    tls = servers.make_tls(os.path.join(work, "tls"))
    started = []
    try:
        upstream = pullthrough.Upstream(os.path.join(work, "upstream"), tls, name="bench-upstream")
        started.append(upstream)
        pull = pullthrough.PullThrough(os.path.join(work, "pull-through"), tls, upstream.url, name="bench-pull-through")
        started.append(pull)

        # Every release is published before the pull-through is asked for any: it keeps the upstream's
        # version list for versions_ttl, and a version published later is unknown to it until then.
        runs = []
        for run in range(args.runs):
            version = "1.%d.0" % run
            zips = os.path.join(work, "zips")
            os.makedirs(zips, exist_ok=True)
            paths = [pullthrough.write_random_package(
                os.path.join(zips, pullthrough.package_name("bench", version, p)),
                "terraform-provider-bench_v%s%s" % (version, ".exe" if p.startswith("windows") else ""), size)
                for p in platforms]
            sizes = {p: os.path.getsize(path) for p, path in zip(platforms, paths)}
            total = sum(sizes.values())
            t = time.monotonic()
            upstream.publish(ADDRESS, version, paths)
            push_seconds = time.monotonic() - t
            for p in paths:
                os.unlink(p)
            runs.append({"version": version, "bytes": total, "sizes": sizes, "push": push_seconds})

        for r in runs:
            version, sizes = r["version"], r["sizes"]
            direct_seconds, shasums = 0.0, {}
            for p in platforms:
                doc_path = upstream.download_path(ADDRESS, version, p)
                doc, seconds = timed_json(upstream.client, doc_path)
                status, got, download_seconds = curl_get(urllib.parse.urljoin(upstream.url + doc_path,
                                                                              doc["download_url"]), tls[0])
                if (status, got) != (200, sizes[p]):
                    raise SystemExit("direct download of %s %s: %d, %d bytes of %d"
                                     % (version, p, status, got, sizes[p]))
                direct_seconds += seconds + download_seconds
                shasums[p] = doc["shasum"]

            path = "/registry/%s/%s/download/%s" % (ADDRESS, version, platforms[0].replace("_", "/", 1))
            mark = pull.registry.mark()
            doc, import_seconds = timed_json(pull.client, path)
            calls = pull.registry.calls_since(mark)
            if doc["shasum"] != shasums[platforms[0]]:
                raise SystemExit("the pull-through serves another package for %s %s" % (version, platforms[0]))
            stored_doc, stored_seconds = timed_json(pull.client, path)
            assert stored_doc["shasum"] == doc["shasum"]
            tags = pull.registry.tags(pullthrough.PREFIX + "/" + ADDRESS)
            if version not in tags:
                raise SystemExit("the import answered 200 but left no tag %s (tags: %s)" % (version, tags))
            r.update({"direct": direct_seconds, "import": import_seconds, "stored": stored_seconds,
                      "calls": pullthrough.call_counts(calls), "total_calls": len(calls)})

        print("\n## Pull-through import: %d platforms x %d MB (random bytes, incompressible), HTTPS through nginx, "
              "loopback, %d cores\n" % (len(platforms), args.size_mb, os.cpu_count()))
        print("| run | push into the upstream | direct: client fetches the %d packages | import (first request) | "
              "import MB/s | same request, stored |" % len(platforms))
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for i, r in enumerate(runs, 1):
            print("| %d (%s) | %.2f s | %.2f s | %.2f s | %.0f | %.1f ms |"
                  % (i, r["version"], r["push"], r["direct"], r["import"], r["bytes"] / r["import"] / 1e6,
                     r["stored"] * 1000))
        print("\n## Registry calls per import (the pull-through's docker-registry access log, from the first request's "
              "arrival to its answer: the import, then the answer)\n")
        kinds = sorted({k for r in runs for k in r["calls"]})
        print("| call | " + " | ".join("run %d" % i for i in range(1, len(runs) + 1)) + " |")
        print("| --- |" + " ---: |" * len(runs))
        for kind in kinds:
            print("| %s | %s |" % (kind, " | ".join(str(r["calls"].get(kind, 0)) for r in runs)))
        print("| total | %s |" % " | ".join(str(r["total_calls"]) for r in runs))
        return 0
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(work, ignore_errors=True)   # hundreds of MB of packages, twice


if __name__ == "__main__":
    sys.exit(main())
