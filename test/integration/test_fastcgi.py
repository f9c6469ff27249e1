"""The FastCGI front end with real web servers: kept connections, a listening socket that goes away,
descriptors that no program the workers start may inherit."""

import os
import socket
import subprocess
import threading

import ocipush
import servers

PREFIX = "terraform-providers/registry.terraform.io"


def test_nginx_keeping_connections_never_stalls_a_thread(workdir, tls):
    """fastcgi_keep_conn on: a thread once waited on the idle kept connection while other
    connections queued behind the listening socket until nginx's read timeout."""
    d = str(workdir / "keep-conn")
    stack = servers.NginxStack(d, "", tls, workers=1, threads=1, nginx_changes={
        "fastcgi_keep_conn off;": "fastcgi_keep_conn on;",
        "max_fails=0;  # CHANGE: the same again": "max_fails=0;  # CHANGE: the same again\n    keepalive 8;",
    })
    try:
        failures = []
        ok = []

        def fetch():
            try:
                r = stack.client.get("/healthz", timeout=10)
                (ok if r.status == 200 else failures).append(r.status)
            except Exception as e:  # a stalled request times out here
                failures.append(repr(e))

        for _ in range(3):  # rounds of concurrent requests, over connections nginx keeps
            threads = [threading.Thread(target=fetch) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        assert failures == []
        assert len(ok) == 24
    finally:
        stack.stop()


def test_a_pool_whose_listening_socket_is_shut_down_stops_and_says_why(workdir):
    """systemd hands the socket over (LISTEN_FDS); when it stops accepting, the pool gives up with a
    message instead of respawning workers in a loop."""
    d = str(workdir / "listener-gone")
    os.makedirs(d)
    config = os.path.join(d, "config.hcl")
    with open(config, "w") as f:
        f.write("server {\n  worker_processes = 2\n  worker_threads = 2\n}\n")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(d, "fcgi.sock"))
    listener.listen(16)
    # The socket becomes fd 3 and LISTEN_PID names the process itself, as systemd does it.
    pool = servers.Process(["sh", "-c", 'exec 3<&0 0</dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --config "$1" server',
                            servers.BINARY, config], os.path.join(d, "app.log"), stdin=listener.fileno())
    try:
        workers = lambda: subprocess.run(["pgrep", "-P", str(pool.pid)], capture_output=True, text=True).stdout.split()
        pool.wait_ready(lambda: len(workers()) == 2, "two workers")
        listener.shutdown(socket.SHUT_RDWR)
        assert pool.proc.wait(15) == 1
    finally:
        pool.stop()
        listener.close()
    text = pool.output()
    assert "no longer accepts connections; stopping" in text, text
    assert text.count("starting a new one") <= 2, text  # no respawn loop


def test_a_spawned_process_with_an_unusable_signing_key_exits_78_as_a_pool_does(workdir):
    """mod_fcgid and lighttpd spawn us on a listening fd 0: the key check runs there too."""
    d = str(workdir / "spawned-bad-key")
    os.makedirs(d)
    key = os.path.join(d, "not-a-key.asc")
    with open(key, "w") as f:
        f.write("this is not an OpenPGP key\n")
    config = os.path.join(d, "config.hcl")
    with open(config, "w") as f:
        f.write('provider_registry "registry" {\n  origin_url = "http://127.0.0.1:9"\n  signing_key_file = "%s"\n}\n'
                % key)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(d, "fcgi.sock"))
    listener.listen(8)
    spawned = servers.Process([servers.BINARY, "--config", config, "server"], os.path.join(d, "app.log"),
                              stdin=listener.fileno())
    try:
        assert spawned.proc.wait(30) == 78
    finally:
        spawned.stop()
        listener.close()
    assert "not-a-key.asc" in spawned.output(), spawned.output()


def close_on_exec(pid):
    """{fd: True/False} for every descriptor of `pid` but stdin, stdout and stderr."""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        if int(fd) <= 2:
            continue
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = next(int(line.split()[1], 8) for line in f if line.startswith("flags:"))
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed meanwhile
        out["%s -> %s" % (fd, target)] = bool(flags & 0o2000000)
    return out


def test_no_descriptor_of_the_pool_leaks_into_a_program_it_starts(workdir, tls, registry, published):
    d = str(workdir / "cloexec")
    stack = servers.NginxStack(d, 'provider_mirror "mirror" {\n  origin_url = "%s"\n'
                                  '  name_prefix = "terraform-providers"\n  proxy_packages = true\n}\n' % registry.url,
                               tls, workers=1, threads=2)
    try:
        doc = stack.client.get("/mirror/registry.terraform.io/hashicorp/null/3.2.0.json")
        assert doc.status == 200
        assert stack.client.get(doc.json()["archives"]["linux_amd64"]["url"]).status == 200
        for pid in [stack.app.process.pid] + stack.app.worker_pids():
            leaking = [fd for fd, cloexec in close_on_exec(pid).items() if not cloexec]
            assert leaking == [], "pid %d: %s" % (pid, leaking)
        # The worker does hold registry connections (kept for reuse): they were checked above.
        worker = stack.app.worker_pids()[0]
        assert any("socket:" in fd for fd in close_on_exec(worker))
    finally:
        stack.stop()


def test_the_socket_belongs_to_the_group_the_web_server_runs_as(workdir, tls):
    """Started as root, the pool made its socket root:root 0660: nginx's workers (www-data) got a bare
    502. socket_group (php-fpm's listen.group) gives it to them; the start-up log says who owns it."""
    d = str(workdir / "socket-group")
    stack = servers.NginxStack(d, "", tls, nginx_user="www-data", socket_mode="0660",
                               extra='  socket_group = "www-data"\n')
    try:
        assert stack.client.get("/healthz").status == 200
        assert "app.sock (owner root:www-data, mode 0660)" in stack.app.log()
    finally:
        stack.stop()
    # The same without it: the web server's user cannot connect.
    d = str(workdir / "socket-root-only")
    stack = servers.NginxStack(d, "", tls, nginx_user="www-data", socket_mode="0660")
    try:
        assert stack.client.get("/healthz").status == 502
        assert "(owner root:root, mode 0660)" in stack.app.log()
    finally:
        stack.stop()


def test_the_service_page_names_the_port_the_client_used(client, nginx):
    """Behind Debian's fastcgi_params (HTTP_HOST is $host, without the port) the CLI snippet once
    showed https://127.0.0.1/mirror/ for a server on another port."""
    page = client.get("/mirror/")
    assert page.status == 200
    assert ('url = "https://127.0.0.1:%d/mirror/"' % nginx.port) in page.body.decode()
