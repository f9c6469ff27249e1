"""`make install`: what a first install needs, laid out where the units and the README expect it."""

import os
import subprocess

import servers


def install(destdir):
    build = os.path.dirname(servers.BINARY)  # the build the tests run, up to date
    # Under a strict umask, as some operators' root shells have.
    return subprocess.run(["sh", "-c", 'umask 077 && exec make -s -C "$0" install DESTDIR="$1" BUILD="$2"',
                           servers.ROOT, destdir, build], capture_output=True, text=True, timeout=600)


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
    assert os.stat(units + "service").st_mode & 0o777 == 0o644
    # An operator's own configuration, and the directory's mode, are never touched again.
    with open(config, "a") as f:
        f.write("# mine\n")
    os.chmod(os.path.dirname(config), 0o750)
    assert install(dest).returncode == 0
    with open(config) as f:
        assert f.read().endswith("# mine\n")
    assert os.stat(os.path.dirname(config)).st_mode & 0o777 == 0o750
