#!/usr/bin/env python3
"""`make demo`: a local registry with a sample provider, the worker pool, and nginx with TLS in front.

Starts Debian's docker-registry, publishes example.com/demo/hello (1.0.0 and 1.1.0 for several
platforms), runs the program's worker pool behind nginx (conf/nginx.conf) on a loopback HTTPS port
with a throwaway certificate, prints how to use it, and stops everything on Ctrl-C.
`--check` instead fetches the index once through the whole chain and exits (0 when it works).
"""

import os
import secrets
import shutil
import signal
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))

import ocipush  # noqa: E402
import servers  # noqa: E402

PLATFORMS = ["linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64"]
REPO = "terraform-providers/example.com/demo/hello"


def main():
    check_only = "--check" in sys.argv[1:]
    work = tempfile.mkdtemp(prefix="oci-tf-registry-demo-")
    os.chmod(work, 0o755)
    tls_dir = os.path.join(work, "tls")
    os.makedirs(tls_dir)
    tls = servers.make_tls(tls_dir)

    os.makedirs(os.path.join(work, "registry"))
    registry = servers.DockerRegistry(os.path.join(work, "registry")).start()
    app = nginx = None
    try:
        push = ocipush.Registry(registry.url)
        for version in ("1.0.0", "1.1.0"):
            packages = {p: ocipush.provider_zip("terraform-provider-hello_v" + version, seed=p) for p in PLATFORMS}
            ocipush.push_opentofu_release(push, REPO, version, packages)

        config = os.path.join(work, "config.hcl")
        with open(config, "w") as f:
            f.write('provider_mirror "mirror" {\n'
                    '  origin_url     = "%s"\n'
                    '  name_prefix    = "terraform-providers"\n'
                    '  proxy_packages = true\n'
                    '  host_aliases   = { "registry.opentofu.org" = "registry.terraform.io" }\n'
                    '}\n\nserver {\n'
                    '  listen_addr         = "unix:%s/app.sock"\n'
                    '  socket_mode         = "0666"\n'
                    '  query_string_secret = "%s"\n'
                    '}\n' % (registry.url, work, secrets.token_hex(32)))
        app = servers.AppPool(work, config).start()
        os.makedirs(os.path.join(work, "nginx"))
        nginx = servers.Nginx(os.path.join(work, "nginx"), app.socket, tls).start()
        mirror = nginx.url + "/mirror/"

        if check_only:
            r = servers.Client(nginx.url, tls[0]).get("/mirror/example.com/demo/hello/index.json")
            print("GET %sexample.com/demo/hello/index.json -> %d %s" % (mirror, r.status, r.body.decode().strip()))
            return 0 if r.status == 200 else 1

        print("""
oci-distribution-terraform-registry demo is running.

  Provider mirror:   %(mirror)s
  OCI registry:      %(registry)s  (repository %(repo)s, tags 1.0.0 and 1.1.0)
  Configuration:     %(config)s
  Program log:       %(work)s/app.log
  Test CA:           %(ca)s

Try it:
  curl --cacert %(ca)s %(mirror)sexample.com/demo/hello/index.json
  curl --cacert %(ca)s %(mirror)sexample.com/demo/hello/1.1.0.json

Use it from Terraform or OpenTofu: trust the CA and point the CLI configuration at the mirror.
  export SSL_CERT_FILE=%(ca)s
  export TF_CLI_CONFIG_FILE=%(work)s/cli.tfrc
with %(work)s/cli.tfrc containing (already written):
  provider_installation {
    network_mirror {
      url = "%(mirror)s"
    }
  }
and a configuration that requires: source = "example.com/demo/hello", version = "~> 1.0"
(the sample packages are placeholders: 'init' installs them, they do not run as providers).

Press Ctrl-C to stop.""" % {"mirror": mirror, "registry": registry.url, "repo": REPO, "config": config,
                            "work": work, "ca": tls[0]})
        with open(os.path.join(work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  network_mirror {\n    url = "%s"\n  }\n}\n' % mirror)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        for server in (nginx, app, registry):
            if server:
                server.stop()
        shutil.rmtree(work, ignore_errors=True)  # the registry's data, the certificate, the logs


if __name__ == "__main__":
    sys.exit(main())
