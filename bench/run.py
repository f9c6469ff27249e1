#!/usr/bin/env python3
"""Benchmarks (figures, not tests): all numbers come from one run on this machine, over loopback.

1. wrk, warm cache, through nginx with TLS (conf/nginx.conf) -> the program -> docker-registry:
   index.json and <version>.json, against (a) nginx serving the same JSON as static files and
   (b) a do-nothing libfcgi responder (bench/null_responder.cpp) behind the same nginx config:
   the ceiling of any FastCGI application here.
2. A 256 MB package: proxied download through nginx -> program, against the registry's own blob
   URL (direct), with the worker processes' peak RSS.
3. Then bench/pull_through_import.py: a 4-platform release of 50 MB packages imported through a
   pull-through provider_registry from an upstream one, and the registry calls per import.

Usage: bench/run.py [--duration SECONDS] [--connections N]
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))

import ocipush  # noqa: E402
import servers  # noqa: E402

BIG_MB = 256


def wrk(url, duration, connections):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % duration, "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit("%s answered %s non-2xx responses: the figures would be meaningless" % (url, errors.group(1)))
    return rps, p50, p99, 0


def curl_download(url, ca):
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "--cacert", ca, "-w", "%{http_code} %{size_download} %{time_total}", url],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]), float(out[2])


def peak_rss_kib(pids):
    total = []
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            total.append(int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)))
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="oci-tf-registry-bench-")
    os.chmod(work, 0o755)
    os.makedirs(os.path.join(work, "tls"))
    tls = servers.make_tls(os.path.join(work, "tls"))
    started = []
    try:
        os.makedirs(os.path.join(work, "registry"))
        registry = servers.DockerRegistry(os.path.join(work, "registry")).start()
        started.append(registry)
        push = ocipush.Registry(registry.url)
        repo = "terraform-providers/registry.terraform.io/hashicorp/bench"
        packages = {p: ocipush.provider_zip("terraform-provider-bench_v1.0.0", seed=p)
                    for p in ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64")}
        ocipush.push_opentofu_release(push, repo, "1.0.0", packages)
        for i in range(1, 40):
            ocipush.push_extra_tag(push, repo, "0.%d.0" % i, "1.0.0")
        big_file = os.path.join(work, "big.zip")
        with open(big_file, "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(BIG_MB):
                f.write(chunk)
        big_digest, big_size = ocipush.push_opentofu_release_from_file(
            push, "terraform-providers/registry.terraform.io/hashicorp/big", "1.0.0", "linux_amd64", big_file)
        os.unlink(big_file)

        config = os.path.join(work, "config.hcl")
        servers.write_app_config(config, registry.url, proxy=True, listen="unix:%s/app.sock" % work,
                                 extra_server='  socket_mode = "0666"\n  tags_cache_ttl = "300s"\n')
        with open(config, "a") as f:
            f.write('provider_mirror "direct" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n}\n'
                    % registry.url)
        app = servers.AppPool(work, config).start()
        started.append(app)
        os.makedirs(os.path.join(work, "nginx-app"))
        nginx = servers.Nginx(os.path.join(work, "nginx-app"), app.socket, tls).start()
        started.append(nginx)

        null_socket = os.path.join(work, "null.sock")
        null_bin = os.path.join(work, "null_responder")
        subprocess.run(["g++", "-std=c++20", "-O2", os.path.join(ROOT, "bench", "null_responder.cpp"), "-o", null_bin,
                        "-lfcgi", "-pthread"], check=True)
        null = servers.Process([null_bin, "unix:" + null_socket, "8"], os.path.join(work, "null.log"))
        null.wait_ready(lambda: servers.socket_answers(null_socket), "the null responder")
        started.append(null)
        os.makedirs(os.path.join(work, "nginx-null"))
        nginx_null = servers.Nginx(os.path.join(work, "nginx-null"), null_socket, tls).start()
        started.append(nginx_null)

        client = servers.Client(nginx.url, tls[0])
        base = "/mirror/registry.terraform.io/hashicorp/bench/"
        docs = {"index.json": client.get(base + "index.json"), "1.0.0.json": client.get(base + "1.0.0.json"),
                "direct 1.0.0.json": client.get("/direct/registry.terraform.io/hashicorp/bench/1.0.0.json")}
        assert all(r.status == 200 for r in docs.values())

        # nginx serving the same documents as static files, same TLS.
        static_root = os.path.join(work, "static")
        os.makedirs(os.path.join(static_root, "s"))
        for name in ("index.json", "1.0.0.json"):
            with open(os.path.join(static_root, "s", name), "wb") as f:
                f.write(docs[name].body)
        os.makedirs(os.path.join(work, "nginx-static"))
        static = servers.Nginx(os.path.join(work, "nginx-static"), null_socket, tls)
        with open(static.conf) as f:
            text = f.read()
        text = text.replace("location / {", "location /s/ { root %s; default_type application/json; }\n"
                                            "    location / {" % static_root, 1)
        with open(static.conf, "w") as f:
            f.write(text)
        static.start()
        started.append(static)

        rows = []
        d, c = args.duration, args.connections
        rows.append(("nginx static file, index.json", *wrk(static.url + "/s/index.json", d, c)))
        rows.append(("nginx static file, 1.0.0.json", *wrk(static.url + "/s/1.0.0.json", d, c)))
        rows.append(("nginx -> do-nothing libfcgi responder", *wrk(nginx_null.url + "/anything", d, c)))
        rows.append(("nginx -> program, index.json (warm)", *wrk(nginx.url + base + "index.json", d, c)))
        rows.append(("nginx -> program, 1.0.0.json proxied (warm)", *wrk(nginx.url + base + "1.0.0.json", d, c)))
        rows.append(("nginx -> program, 1.0.0.json direct (warm)",
                     *wrk(nginx.url + "/direct/registry.terraform.io/hashicorp/bench/1.0.0.json", d, c)))

        big_doc = client.get("/mirror/registry.terraform.io/hashicorp/big/1.0.0.json").json()
        proxied_url = nginx.url + big_doc["archives"]["linux_amd64"]["url"]
        direct_url = registry.url + "/v2/terraform-providers/registry.terraform.io/hashicorp/big/blobs/" + big_digest
        rss_before = peak_rss_kib(app.worker_pids())
        downloads = []
        for label, url in (("direct from docker-registry", direct_url), ("proxied: nginx -> program -> registry", proxied_url)):
            status, size, seconds = curl_download(url, tls[0])
            assert status == 200 and size == big_size, (label, status, size)
            downloads.append((label, size, seconds))
        rss_after = peak_rss_kib(app.worker_pids())

        print("\n## Requests per second (wrk -t2 -c%d -d%ds, HTTPS through nginx, loopback, %d cores)\n"
              % (c, d, os.cpu_count()))
        print("| target | req/s | p50 | p99 | non-2xx |\n| --- | ---: | ---: | ---: | ---: |")
        for label, rps, p50, p99, errors in rows:
            print("| %s | %.0f | %s | %s | %d |" % (label, rps, p50, p99, errors))
        print("\n## A %d MB package (curl, HTTPS for the proxied path)\n" % BIG_MB)
        print("| path | MB/s | seconds |\n| --- | ---: | ---: |")
        for label, size, seconds in downloads:
            print("| %s | %.0f | %.2f |" % (label, size / seconds / 1e6, seconds))
        print("\nWorker processes' peak RSS (VmHWM): before the download %s KiB, after %s KiB."
              % (rss_before, rss_after))
        return 0
    finally:
        for server in reversed(started):
            server.stop()


if __name__ == "__main__":
    status = main()
    if status == 0:
        # 3. The pull-through import (bench/pull_through_import.py), with servers of its own.
        status = subprocess.call([sys.executable, os.path.join(ROOT, "bench", "pull_through_import.py")])
    sys.exit(status)
