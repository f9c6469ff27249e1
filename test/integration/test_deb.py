"""`make deb`: the Debian package, inspected with dpkg-deb, installed with dpkg on this machine, started
as its systemd units start it, serving through nginx, then purged.

Needs root and Debian's dpkg tools (CI runs as root on a fresh Debian 12); skipped otherwise.
"""

import glob
import grp
import os
import pwd
import shlex
import socket
import subprocess

import pytest

import servers

PKG = "oci-distribution-terraform-registry"
USER = "oci-tf-registry"
ETC = "/etc/" + PKG
CONFIG = ETC + "/config.hcl"
UNITS = "/lib/systemd/system/" + PKG

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/dpkg-deb")
                                or not os.path.exists("/usr/bin/help2man"),
                                reason="needs root, dpkg-deb and help2man (scripts/install-deps.sh)")


def run(*argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def installed():
    r = run("dpkg-query", "-W", "-f=${Status}", PKG)
    return r.returncode == 0 and "installed" in r.stdout.split()


def user_exists():
    try:
        pwd.getpwnam(USER)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def deb():
    build = os.path.dirname(servers.BINARY)  # the build the tests run, up to date
    r = run("make", "-s", "-C", servers.ROOT, "deb", "BUILD=" + build, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    path = r.stdout.strip().splitlines()[-1]
    assert path.startswith(build + "/" + PKG + "_") and path.endswith(".deb") and os.path.isfile(path), r.stdout
    return path


def unit_settings(path):
    """The [Section] Key=value lines of a unit file, as {key: [values]}."""
    settings = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                key, value = line.split("=", 1)
                settings.setdefault(key, []).append(value)
    return settings


def test_package_holds_the_binary_units_conffile_man_page_and_examples(deb):
    files = run("dpkg-deb", "-c", deb).stdout
    paths = {line.split()[5].lstrip(".") for line in files.splitlines()}
    doc = "/usr/share/doc/" + PKG
    for path in ("/usr/bin/" + PKG, UNITS + ".service", UNITS + ".socket", CONFIG,
                 "/usr/share/man/man1/%s.1.gz" % PKG, doc + "/copyright", doc + "/changelog.gz", doc + "/README.md",
                 doc + "/examples/nginx.conf", doc + "/examples/lighttpd.conf", doc + "/examples/%s.conf" % PKG,
                 doc + "/examples/shared-hosting/.htaccess"):
        assert path in paths, path
    assert "-rwxr-xr-x root/root" in next(line for line in files.splitlines() if line.endswith("/usr/bin/" + PKG))
    # Nothing outside Debian's places (no /usr/local).
    assert not [p for p in paths if p.startswith("/usr/local")]

    assert run("dpkg-deb", "-f", deb, "Version").stdout.strip() == \
        run(servers.BINARY, "version").stdout.split()[1]
    depends = run("dpkg-deb", "-f", deb, "Depends").stdout
    for library in ("libc6", "libfcgi0ldbl", "libcurl4", "libgpgme11", "libssl3", "libzip4", "adduser"):
        assert library in depends, depends

    work = os.path.dirname(deb) + "/deb-inspect"
    run("rm", "-rf", work)
    assert run("dpkg-deb", "-R", deb, work).returncode == 0
    with open(work + "/DEBIAN/conffiles") as f:
        assert f.read().split() == [CONFIG]
    # The man page documents every command (from their --help), and man renders it without complaint.
    man = run("sh", "-c", 'zcat "$0" | MANWIDTH=100 man -l - 2>&1', work + "/usr/share/man/man1/%s.1.gz" % PKG)
    for text in ("check-config", "--from-registry", "OCI_DISTRIBUTION_TERRAFORM_REGISTRY_CONFIG", CONFIG):
        assert text in man.stdout, text
    service = unit_settings(work + UNITS + ".service")
    assert service["ExecStart"] == ["/usr/bin/%s --config %s server" % (PKG, CONFIG)]
    assert service["User"] == [USER] and service["Group"] == [USER]
    run("rm", "-rf", work)


def serve_as_the_units_do(service, sock_unit, log_path):
    """Without systemd as PID 1: what systemd does for these two units, by hand. The socket unit's
    ListenStream with its SocketMode and SocketGroup; the service's RuntimeDirectory; ExecStart run as
    User/Group with Environment=, the listener on fd 0 (StandardInput=socket) and fd 3 (LISTEN_FDS)."""
    path = sock_unit["ListenStream"][0]
    made = []
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
        made.append(os.path.dirname(path))
    listener = socket.socket(socket.AF_UNIX)
    if os.path.exists(path):
        os.unlink(path)
    listener.bind(path)
    listener.listen(128)
    os.chmod(path, int(sock_unit["SocketMode"][0], 8))
    os.chown(path, 0, grp.getgrnam(sock_unit.get("SocketGroup", ["root"])[0]).gr_gid)
    user = pwd.getpwnam(service["User"][0])
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name}
    for assignment in service.get("Environment", []):
        for item in shlex.split(assignment):
            key, value = item.split("=", 1)
            env[key] = value
    for directory in service.get("RuntimeDirectory", []):
        full = "/run/" + directory
        top = "/run/" + directory.split("/")[0]
        if not os.path.isdir(top):
            made.append(top)
        os.makedirs(full, exist_ok=True)
        os.chown(full, user.pw_uid, user.pw_gid)
        os.chmod(full, int(service.get("RuntimeDirectoryMode", ["0755"])[0], 8))
        env["RUNTIME_DIRECTORY"] = full
        made.append(full)
    assert service["StandardInput"] == ["socket"]
    argv = shlex.split(service["ExecStart"][0])
    wrapper = ["sh", "-c", 'exec 3<&0; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"', "sh"] + argv
    log = open(log_path, "ab")
    proc = subprocess.Popen(wrapper, stdin=listener.fileno(), stdout=log, stderr=subprocess.STDOUT, env=env,
                            user=user.pw_uid, group=grp.getgrnam(service["Group"][0]).gr_gid, extra_groups=[],
                            start_new_session=True)
    listener.close()
    log.close()
    return proc, path, made


def test_installed_package_runs_as_its_user_and_serves_through_nginx(deb, tls, workdir):
    assert not installed(), ("%s is installed on this machine: this test installs and purges it; "
                             "`dpkg --purge %s` first" % (PKG, PKG))
    assert not os.path.exists(ETC), "%s exists (make install?): purging the package would remove it" % ETC
    user_was_there = user_exists()
    directory = workdir / "deb"
    directory.mkdir()
    proc = nginx = None
    made = []
    try:
        r = run("dpkg", "-i", deb)
        assert r.returncode == 0, r.stdout + r.stderr
        assert installed()
        user = pwd.getpwnam(USER)
        assert user.pw_uid < 1000 and user.pw_shell in ("/usr/sbin/nologin", "/bin/false")
        assert run("dpkg-query", "-W", "-f=${Conffiles}", PKG).stdout.split()[0] == CONFIG
        # The packaged configuration is valid, read as the pool's user.
        check = run("runuser", "-u", USER, "--", PKG, "--config", CONFIG, "check-config")
        assert check.returncode == 0, check.stdout + check.stderr

        service, sock_unit = unit_settings(UNITS + ".service"), unit_settings(UNITS + ".socket")
        if open("/proc/1/comm").read().strip() == "systemd":
            assert run("systemctl", "start", PKG + ".socket").returncode == 0
            socket_path = sock_unit["ListenStream"][0]
        else:
            proc, socket_path, made = serve_as_the_units_do(service, sock_unit, str(directory / "app.log"))
            servers.wait_until(lambda: proc.poll() is not None or servers.socket_answers(socket_path)
                               and len(run("pgrep", "-P", str(proc.pid)).stdout.split()) >= 1, "the packaged pool")
            assert proc.poll() is None, open(directory / "app.log").read()
            # The pool and its workers run as the package's user, not root.
            for pid in [proc.pid] + [int(p) for p in run("pgrep", "-P", str(proc.pid)).stdout.split()]:
                with open("/proc/%d/status" % pid) as f:
                    uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
                assert set(uids) == {str(user.pw_uid)}, (pid, uids)

        # nginx's workers as www-data: the socket unit's group, the only way in (mode 0660).
        os.makedirs(directory / "nginx")
        nginx = servers.Nginx(str(directory / "nginx"), socket_path, tls, user="www-data").start()
        client = servers.Client(nginx.url, tls[0])
        health = client.get("/healthz")
        assert health.status == 200, health.body
        # The packaged configuration serves a provider mirror only, which service discovery does not
        # name: the program's own JSON answer says so (a provider_registry would be listed here).
        discovery = client.get("/.well-known/terraform.json")
        assert discovery.status == 404 and discovery.content_type.startswith("application/json"), discovery.body
        assert "serves no provider or module registry" in discovery.json()["errors"][0]
        mirror = client.get("/mirror/registry.terraform.io/hashicorp/null/index.json")
        assert mirror.status in (404, 502, 503, 504) and mirror.content_type.startswith("application/json"), \
            (mirror.status, mirror.body)  # answered by the program (no registry on 127.0.0.1:5000 here)
    finally:
        if nginx:
            nginx.stop()
        if proc and proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        if open("/proc/1/comm").read().strip() == "systemd":
            run("systemctl", "stop", PKG + ".socket", PKG + ".service")
        for path in reversed(made):
            run("rm", "-rf", path)
        purge = run("dpkg", "--purge", PKG)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert not installed()
    # Purge removes the conffile and the directory; the system user stays (Debian's practice).
    assert not os.path.exists(ETC)
    assert not glob.glob("/etc/systemd/system/*/%s.*" % PKG)
    assert user_exists()
    if not user_was_there:
        assert run("deluser", "--system", "--quiet", USER).returncode == 0
        run("delgroup", "--system", "--quiet", USER)
