"""`make install`: what a first install needs, laid out where the units and the README expect it."""

import os
import subprocess

import servers


def install(destdir):
    build = os.path.dirname(servers.BINARY)  # the build the tests run, up to date
    return subprocess.run(["make", "-s", "-C", servers.ROOT, "install", "DESTDIR=" + destdir, "BUILD=" + build],
                          capture_output=True, text=True, timeout=600)


def test_make_install_lays_out_binary_configuration_units_and_examples(tmp_path):
    dest = str(tmp_path / "root")
    r = install(dest)
    assert r.returncode == 0, r.stderr
    binary = dest + "/usr/local/bin/oci-distribution-terraform-registry"
    config = dest + "/etc/oci-distribution-terraform-registry/config.hcl"
    units = dest + "/usr/local/lib/systemd/system/oci-distribution-terraform-registry."
    examples = dest + "/usr/local/share/doc/oci-distribution-terraform-registry/examples/"
    for path in (binary, config, units + "service", units + "socket", examples + "nginx.conf",
                 examples + "lighttpd.conf", examples + "oci-distribution-terraform-registry.conf",
                 examples + "shared-hosting/.htaccess"):
        assert os.path.isfile(path), path
    assert os.access(binary, os.X_OK)
    with open(units + "service") as f:
        assert ("ExecStart=/usr/local/bin/oci-distribution-terraform-registry --config "
                "/etc/oci-distribution-terraform-registry/config.hcl server") in f.read()
    # The starting configuration is valid as installed.
    check = subprocess.run([binary, "--config", config, "check-config"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # An operator's own configuration is never overwritten.
    with open(config, "a") as f:
        f.write("# mine\n")
    assert install(dest).returncode == 0
    with open(config) as f:
        assert f.read().endswith("# mine\n")
