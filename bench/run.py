#!/usr/bin/env python3
"""Benchmarks (figures, not tests): all numbers come from one run on this machine, over loopback.

1. wrk, warm cache, through nginx with TLS (conf/nginx.conf) -> the program -> docker-registry:
   index.json and <version>.json, against (a) nginx serving the same JSON as static files and
   (b) a do-nothing libfcgi responder (bench/null_responder.cpp) behind the same nginx config:
   the ceiling of any FastCGI application here. Ratios to both.
2. 64 concurrent clients on index.json with the tag cache always expired (tags_cache_ttl = 0: every
   request needs a refresh; in-flight calls are shared and stale-while-revalidate answers while one
   refresh runs), next to the same workload warm: req/s and registry calls per request (the
   program's access log).
3. A 256 MB package: direct from the registry, through a plain nginx proxy_pass to the registry,
   proxied (nginx -> program -> registry, streamed and digest-checked) and offloaded (nginx ->
   program answers X-Accel-Redirect -> nginx streams from the registry), with the worker processes'
   peak RSS before and after.
4. Then bench/pull_through_import.py: a 4-platform release of 50 MB packages imported through a
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


def best_download(url, ca, size, runs=3):
    """The fastest of `runs` downloads of `url` (MB/s, seconds): one figure less bent by the neighbours."""
    best = None
    for _ in range(runs):
        status, got, seconds = curl_download(url, ca)
        assert status == 200 and got == size, (url, status, got)
        best = seconds if best is None else min(best, seconds)
    return size / best / 1e6, best


def registry_calls_per_request(log_text, path):
    """Mean registry= of the access log lines for `path`, and how many there were."""
    counts = [int(m.group(1)) for m in re.finditer(r"GET %s \d+ .* registry=(\d+)" % re.escape(path), log_text)]
    return (sum(counts) / len(counts) if counts else float("nan")), len(counts)


# nginx's internal location for download offload (conf/nginx-download-offload.conf's registry part).
OFFLOAD_LOCATION = """location /_oci_offload/ {
        internal;
        set $registry_authorization $upstream_http_x_registry_authorization;
        proxy_pass %s/v2/;
        proxy_set_header Authorization $registry_authorization;
        proxy_hide_header Cache-Control;
        proxy_hide_header Accept-Ranges;
        proxy_hide_header Docker-Content-Digest;
        proxy_hide_header Docker-Distribution-Api-Version;
    }
    location / {"""


def sixteen_thread_pool(work, name, registry_url, tls, tags_cache_ttl, started):
    """A worker pool of 2 processes x 16 threads (the tests' config has 4) with `tags_cache_ttl`, behind
    nginx, both appended to `started`; returns (pool, nginx)."""
    directory = os.path.join(work, name)
    os.makedirs(directory)
    config = os.path.join(directory, "config.hcl")
    servers.write_app_config(config, registry_url, proxy=True, listen="unix:%s/app.sock" % directory,
                             extra_server='  socket_mode = "0666"\n  tags_cache_ttl = "%s"\n' % tags_cache_ttl)
    with open(config) as f:
        text = f.read()
    assert "worker_threads = 4" in text
    with open(config, "w") as f:
        f.write(text.replace("worker_threads = 4", "worker_threads = 16"))
    pool = servers.AppPool(directory, config).start()
    started.append(pool)
    os.makedirs(os.path.join(directory, "nginx"))
    nginx = servers.Nginx(os.path.join(directory, "nginx"), pool.socket, tls).start()
    started.append(nginx)
    return pool, nginx


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
                    'provider_mirror "offload" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                    '  proxy_packages = true\n  download_offload = "x-accel-redirect"\n}\n' % (registry.url, registry.url))
        app = servers.AppPool(work, config).start()
        started.append(app)
        os.makedirs(os.path.join(work, "nginx-app"))
        nginx = servers.Nginx(os.path.join(work, "nginx-app"), app.socket, tls,
                              changes={"location / {": OFFLOAD_LOCATION % registry.url}).start()
        started.append(nginx)

        # The same program with a tag cache that is always expired, and one kept warm, for 64 clients.
        cold, nginx_cold = sixteen_thread_pool(work, "cold", registry.url, tls, "0s", started)
        warm, nginx_warm = sixteen_thread_pool(work, "warm64", registry.url, tls, "300s", started)

        # A plain nginx proxy_pass to the registry: the least any proxy in between costs.
        os.makedirs(os.path.join(work, "nginx-proxy"))
        plain_proxy = servers.Nginx(os.path.join(work, "nginx-proxy"), app.socket, tls,
                                    changes={"location / {": "location /v2/ { proxy_pass %s; }\n    location / {"
                                                             % registry.url}).start()
        started.append(plain_proxy)

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

        # 64 clients: an always-expired tag cache against a warm one.
        concurrent = []
        for label, stack, pool in (("warm", nginx_warm, warm), ("expired (tags_cache_ttl = 0)", nginx_cold, cold)):
            servers.Client(stack.url, tls[0]).get(base + "index.json")
            before = len(pool.log())
            rps, p50, p99, _ = wrk(stack.url + base + "index.json", d, 64)
            per_request, n = registry_calls_per_request(pool.log()[before:], base + "index.json")
            concurrent.append((label, rps, p50, p99, per_request, n))

        big_path = "/registry.terraform.io/hashicorp/big/1.0.0.json"
        proxied_url = nginx.url + client.get("/mirror" + big_path).json()["archives"]["linux_amd64"]["url"]
        offloaded_url = nginx.url + client.get("/offload" + big_path).json()["archives"]["linux_amd64"]["url"]
        blob_path = "/v2/terraform-providers/registry.terraform.io/hashicorp/big/blobs/" + big_digest
        rss_before = peak_rss_kib(app.worker_pids())
        downloads = []
        for label, url in (("direct from docker-registry (http)", registry.url + blob_path),
                           ("nginx proxy_pass -> registry", plain_proxy.url + blob_path),
                           ("proxied: nginx -> program -> registry", proxied_url),
                           ("offloaded: nginx -> program (X-Accel-Redirect) -> nginx -> registry", offloaded_url)):
            mbps, seconds = best_download(url, tls[0], big_size)
            downloads.append((label, mbps, seconds))
        rss_after = peak_rss_kib(app.worker_pids())

        null_rps, static_rps = rows[2][1], rows[0][1]
        print("\n## Requests per second (wrk -t2 -c%d -d%ds, HTTPS through nginx, loopback, %d cores)\n"
              % (c, d, os.cpu_count()))
        print("| target | req/s | p50 | p99 | / do-nothing responder | / nginx static |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, rps, p50, p99, _ in rows:
            print("| %s | %.0f | %s | %s | %.2f | %.2f |" % (label, rps, p50, p99, rps / null_rps, rps / static_rps))
        print("\n## 64 concurrent clients on index.json (wrk -t2 -c64 -d%ds; 2 worker processes x 16 threads)\n" % d)
        print("| tag cache | req/s | p50 | p99 | registry calls per request | requests logged |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, rps, p50, p99, per_request, n in concurrent:
            print("| %s | %.0f | %s | %s | %.4f | %d |" % (label, rps, p50, p99, per_request, n))
        print("\nExpired / warm req/s: %.2f" % (concurrent[1][1] / concurrent[0][1]))
        print("\n## A %d MB package (curl, best of 3; HTTPS except the first)\n" % BIG_MB)
        print("| path | MB/s | seconds |\n| --- | ---: | ---: |")
        for label, mbps, seconds in downloads:
            print("| %s | %.0f | %.2f |" % (label, mbps, seconds))
        direct, plain, proxied, offloaded = (row[1] for row in downloads)
        print("\nProxied / nginx proxy_pass: %.2f; offloaded / direct: %.2f; offloaded / nginx proxy_pass: %.2f."
              % (proxied / plain, offloaded / direct, offloaded / plain))
        print("\nWorker processes' peak RSS (VmHWM): before the downloads %s KiB, after %s KiB."
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
