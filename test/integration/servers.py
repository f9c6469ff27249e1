"""Real servers for the integration tests, each on a free loopback port, each stopped afterwards.

Every web server is configured from the example the project ships (conf/, apache-example/): the
test only substitutes the values the example marks with "# CHANGE" (ports, paths, certificates).
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# OTR_BINARY: another build to test (e.g. make BUILD=/tmp/b); default: this checkout's build/.
BINARY = os.environ.get("OTR_BINARY") or os.path.join(ROOT, "build", "oci-distribution-terraform-registry")
SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError("timed out waiting for " + what)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def socket_answers(path):
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            return True
    except OSError:
        return False


class Process:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, argv, log_path, env=None, cwd=None, stdin=None):
        """`stdin`: a descriptor for fd 0 (a listening socket, as a web server that spawns us gives)."""
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                     stdin=stdin, start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_ready(self, predicate, what, timeout=20.0):
        """Waits for `predicate`, failing at once (with the log) if the process exits first."""
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s before it was ready:\n%s" % (what, self.proc.returncode, self.output()))
            return predicate()
        wait_until(ready, what, timeout)

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def reachable_by_web_servers(path):
    """Apache's and lighttpd's children run unprivileged: they must reach configs and sockets under `path`."""
    for directory in [path] + list(path.parents):
        if str(directory) in ("/", "/tmp"):
            break
        os.chmod(directory, os.stat(directory).st_mode | 0o755)
    return path


def make_tls(directory):
    """A throwaway CA and a server certificate for 127.0.0.1/localhost. Returns (ca, cert, key, combined)."""
    ca_key, ca = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, cert = (os.path.join(directory, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(directory, "server.ext")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=oci-distribution-terraform-registry test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", "2", "-extfile", ext)
    combined = os.path.join(directory, "server-combined.pem")
    with open(combined, "w") as out:
        out.write(open(cert).read() + open(key).read())
    for path in (key, combined):
        os.chmod(path, 0o644)  # readable by the web servers' unprivileged users in these tests
    return ca, cert, key, combined


# ---------------------------------------------------------------- the OCI registry

def htpasswd_auth(directory, user="robot", password="pw"):
    """docker-registry's `auth:` lines for Basic auth with one bcrypt user (htpasswd, apache2-utils)."""
    path = os.path.join(directory, "htpasswd")
    with open(path, "w") as f:
        f.write(subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True).stdout)
    return ["auth:", "  htpasswd:", "    realm: test", "    path: " + path]


class DockerRegistry:
    """Debian's docker-registry (distribution 2.8) with temporary storage."""

    def __init__(self, directory, auth=None, tls=None):
        """auth: extra top-level YAML lines; tls: (ca, cert, key, combined) from make_tls to serve HTTPS."""
        self.directory = directory
        self.port = free_port()
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.storage = os.path.join(directory, "storage")
        os.makedirs(self.storage, exist_ok=True)
        self.config = os.path.join(directory, "registry.yml")
        lines = ["version: 0.1", "log:", "  level: warn", "  accesslog:", "    disabled: true",
                 "storage:", "  filesystem:", "    rootdirectory: " + self.storage, "  delete:", "    enabled: true",
                 "http:", "  addr: 127.0.0.1:%d" % self.port]
        if tls:
            lines += ["  tls:", "    certificate: " + tls[1], "    key: " + tls[2]]
        lines += auth or []
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.process = None

    def start(self):
        self.process = Process(["docker-registry", "serve", self.config], os.path.join(self.directory, "registry.log"))
        self.process.wait_ready(lambda: port_open(self.port), "docker-registry on port %d" % self.port)
        return self

    def stop(self):
        if self.process:
            self.process.stop()
            self.process = None


# ---------------------------------------------------------------- the application

def write_app_config(path, registry_url, proxy=True, listen=None, extra_mirror="", extra_server="", name="mirror"):
    with open(path, "w") as f:
        f.write('provider_mirror "%s" {\n  origin_url = "%s"\n  name_prefix = "terraform-providers"\n'
                '  proxy_packages = %s\n  host_aliases = { "registry.opentofu.org" = "registry.terraform.io" }\n'
                '%s}\n' % (name, registry_url, "true" if proxy else "false", extra_mirror))
        f.write('server {\n  query_string_secret = "%s"\n  worker_processes = 2\n  worker_threads = 4\n'
                '  connect_timeout = "2s"\n  request_timeout = "5s"\n%s%s}\n'
                % (SECRET, '  listen_addr = "%s"\n' % listen if listen else "", extra_server))
    os.chmod(path, 0o644)


class AppPool:
    """The product's own worker pool (`server`), listening on a unix socket."""

    def __init__(self, directory, config_path, env=None):
        """env: variables added to this process's environment for the pool."""
        self.directory = directory
        self.config_path = config_path
        self.socket = os.path.join(directory, "app.sock")
        self.env = dict(os.environ, **env) if env else None
        self.process = None

    def start(self):
        self.process = Process([BINARY, "--config", self.config_path, "server"], os.path.join(self.directory, "app.log"),
                               env=self.env)
        self.process.wait_ready(lambda: socket_answers(self.socket), "the worker pool on " + self.socket)
        return self

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self):
        if self.process:
            self.process.stop()
            self.process = None

    def log(self):
        return self.process.output() if self.process else open(os.path.join(self.directory, "app.log")).read()


def server_block(directory, workers=1, threads=4, extra="", socket_mode="0666"):
    """The tests' server block: a unix socket in `directory` (AppPool's) that web servers reach, the test secret."""
    return ('server {\n  listen_addr = "unix:%s/app.sock"\n  socket_mode = "%s"\n  query_string_secret = "%s"\n'
            '  worker_processes = %d\n  worker_threads = %d\n%s}\n' % (directory, socket_mode, SECRET, workers, threads,
                                                                     extra))


# ---------------------------------------------------------------- web servers

def substitute(text, replacements):
    """Applies {old: new}; every `old` must occur, so a changed example cannot silently go untested."""
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError("the shipped example no longer contains %r" % old)
        text = text.replace(old, new)
    return text


class Nginx:
    """nginx running conf/nginx.conf in front of AppPool."""

    def __init__(self, directory, app_socket, tls, changes=None, user=None):
        """changes: further {old: new} substitutions of the shipped example (a test's variant);
        user: the user nginx's workers run as (nginx's `user`; default: nobody)."""
        self.directory = directory
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        _, cert, key, _ = tls
        site = substitute(open(os.path.join(ROOT, "conf", "nginx.conf")).read(), dict(changes or {}, **{
            "listen 443 ssl;": "listen 127.0.0.1:%d ssl;" % self.port,
            "listen [::]:443 ssl;": "",
            "/etc/ssl/certs/tf.example.com.pem": cert,
            "/etc/ssl/private/tf.example.com.key": key,
            "unix:/run/oci-distribution-terraform-registry/fcgi.sock": "unix:" + app_socket,
            "/var/log/nginx/access.log": os.path.join(directory, "access.log"),
        }))
        self.conf = os.path.join(directory, "nginx.conf")
        shutil.copy("/etc/nginx/fastcgi_params", directory)  # included relative to the configuration
        with open(self.conf, "w") as f:
            f.write(("user %s;\n" % user if user else "") +
                    "daemon off;\npid %s/nginx.pid;\nerror_log %s/nginx-error.log;\nworker_processes 1;\n"
                    "events { worker_connections 1024; }\nhttp {\n  include /etc/nginx/mime.types;\n"
                    "  access_log off;\n  client_body_temp_path %s;\n  fastcgi_temp_path %s;\n%s\n}\n"
                    % (directory, directory, directory, directory, site))
        self.process = None

    def start(self):
        self.process = Process(["nginx", "-c", self.conf, "-p", self.directory], os.path.join(self.directory, "nginx.log"))
        self.process.wait_ready(lambda: port_open(self.port), "nginx on port %d" % self.port)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def access_log(self):
        path = os.path.join(self.directory, "access.log")
        return open(path).read() if os.path.exists(path) else ""


class NginxStack:
    """The application behind nginx in `directory`: config.hcl is `services` (HCL) plus server_block()."""

    def __init__(self, directory, services, tls, app_env=None, nginx_changes=None, nginx_user=None, **server):
        os.makedirs(directory, exist_ok=True)
        self.config = os.path.join(directory, "config.hcl")
        with open(self.config, "w") as f:
            f.write(services + server_block(directory, **server))
        os.chmod(self.config, 0o644)
        self.app = AppPool(directory, self.config, env=app_env).start()
        os.makedirs(os.path.join(directory, "nginx"), exist_ok=True)
        self.nginx = Nginx(os.path.join(directory, "nginx"), self.app.socket, tls, nginx_changes, nginx_user).start()
        self.url, self.port = self.nginx.url, self.nginx.port
        self.client = Client(self.url, tls[0])

    def stop(self):
        self.nginx.stop()
        self.app.stop()


class Lighttpd:
    """lighttpd running conf/lighttpd.conf; lighttpd spawns the application itself."""

    def __init__(self, directory, config_path, tls):
        self.directory = directory
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        _, _, _, combined = tls
        snippet = substitute(open(os.path.join(ROOT, "conf", "lighttpd.conf")).read(), {
            '$SERVER["socket"] == ":443"': '$SERVER["socket"] == "127.0.0.1:%d"' % self.port,
            "/etc/ssl/private/tf.example.com.pem": combined,
            "/run/lighttpd/oci-distribution-terraform-registry.sock": os.path.join(directory, "fcgi.sock"),
            "/usr/local/bin/oci-distribution-terraform-registry": BINARY,
            "/etc/oci-distribution-terraform-registry/config.hcl": config_path,
            "/var/log/lighttpd/access.log": os.path.join(directory, "access.log"),
        })
        self.conf = os.path.join(directory, "lighttpd.conf")
        docroot = os.path.join(directory, "htdocs")
        os.makedirs(docroot, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write('server.document-root = "%s"\nserver.port = %d\nserver.bind = "127.0.0.1"\n'
                    'server.pid-file = "%s/lighttpd.pid"\nserver.errorlog = "%s/lighttpd-error.log"\n'
                    'server.breakagelog = "%s/app.log"\n%s\n'
                    % (docroot, free_port(), directory, directory, directory, snippet))
        self.process = None

    def start(self):
        self.process = Process(["lighttpd", "-D", "-f", self.conf], os.path.join(self.directory, "lighttpd.log"))
        self.process.wait_ready(lambda: port_open(self.port), "lighttpd on port %d" % self.port)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def log(self):
        path = os.path.join(self.directory, "app.log")
        return open(path).read() if os.path.exists(path) else ""

    def access_log(self):
        path = os.path.join(self.directory, "access.log")
        return open(path).read() if os.path.exists(path) else ""


APACHE_MODULES = ["mpm_event", "authz_core", "alias", "mime", "fcgid", "ssl", "socache_shmcb", "setenvif",
                  "rewrite", "env", "dir"]


class Apache:
    """Apache httpd + mod_fcgid running apache-example/ (mod_fcgid spawns the application)."""

    def __init__(self, directory, config_path, tls, shared_hosting_dir=None):
        self.directory = directory
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        _, cert, key, _ = tls
        os.chmod(directory, 0o755)
        ipc = os.path.join(directory, "fcgid")
        os.makedirs(ipc, exist_ok=True)
        shutil.chown(ipc, "www-data", "www-data")
        docroot = os.path.join(directory, "htdocs")
        os.makedirs(docroot, exist_ok=True)
        modules = "".join("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n" % (m, m) for m in APACHE_MODULES)
        main = ("ServerRoot %s\nPidFile %s/httpd.pid\nListen 127.0.0.1:%d\nServerName 127.0.0.1\n%s"
                "User www-data\nGroup www-data\nTypesConfig /etc/mime.types\nErrorLog %s/apache-error.log\n"
                "LogLevel warn\nFcgidIPCDir %s\nFcgidProcessTableFile %s/fcgid_shm\nDocumentRoot %s\n"
                "Mutex file:%s default\nSSLSessionCache none\n"
                % (directory, directory, self.port, modules, directory, ipc, ipc, docroot, directory))
        if shared_hosting_dir is None:
            site = substitute(open(os.path.join(ROOT, "apache-example", "oci-distribution-terraform-registry.conf")).read(), {
                "<VirtualHost *:443>": "<VirtualHost 127.0.0.1:%d>" % self.port,
                "/etc/ssl/certs/tf.example.com.pem": cert,
                "/etc/ssl/private/tf.example.com.key": key,
                "/usr/local/bin/oci-distribution-terraform-registry": BINARY,
                "/etc/oci-distribution-terraform-registry/config.hcl": config_path,
                "${APACHE_LOG_DIR}/access.log": os.path.join(directory, "access.log"),
            })
        else:
            # What a shared host already has: TLS, mod_fcgid, and AllowOverride for users' directories.
            site = ("<VirtualHost 127.0.0.1:%d>\n  SSLEngine on\n  SSLCertificateFile %s\n  SSLCertificateKeyFile %s\n"
                    "  DocumentRoot %s\n  <Directory %s>\n    AllowOverride All\n    Require all granted\n"
                    "  </Directory>\n</VirtualHost>\n" % (self.port, cert, key, docroot, docroot))
        self.conf = os.path.join(directory, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(main + site)
        self.docroot = docroot

    def start(self):
        subprocess.run(["apache2", "-f", self.conf, "-k", "start"], check=True, capture_output=True,
                       env=dict(os.environ, APACHE_RUN_DIR=self.directory, APACHE_LOCK_DIR=self.directory))
        wait_until(lambda: port_open(self.port), "Apache on port %d" % self.port)
        return self

    def stop(self):
        subprocess.run(["apache2", "-f", self.conf, "-k", "stop"], capture_output=True)
        pid_file = os.path.join(self.directory, "httpd.pid")
        wait_until(lambda: not os.path.exists(pid_file), "Apache to stop", timeout=20)

    def log(self):
        path = os.path.join(self.directory, "apache-error.log")
        return open(path).read() if os.path.exists(path) else ""

    def access_log(self):
        path = os.path.join(self.directory, "access.log")
        return open(path).read() if os.path.exists(path) else ""


def shared_hosting(directory, tls, registry_url, site="tf"):
    """Apache as a shared host has it, with the program installed in docroot/<site>/ the way
    apache-example/shared-hosting/ says: the binary as registry.fcgi, config.hcl, .htaccess. Started."""
    apache = Apache(directory, None, tls, shared_hosting_dir=True)
    site_dir = os.path.join(apache.docroot, site)
    os.makedirs(site_dir)
    shutil.copy(os.path.join(ROOT, "apache-example", "shared-hosting", ".htaccess"), site_dir)
    shutil.copy(BINARY, os.path.join(site_dir, "registry.fcgi"))
    write_app_config(os.path.join(site_dir, "config.hcl"), registry_url)
    for root, dirs, files in os.walk(apache.docroot):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o755)
    return apache.start()


# ---------------------------------------------------------------- an HTTP client that hides nothing

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        import json
        return json.loads(self.body)

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")


class Client:
    """HTTPS client trusting the test CA; never follows redirects, never raises on a status."""

    def __init__(self, base_url, ca_file):
        self.base_url = base_url.rstrip("/")
        context = ssl.create_default_context(cafile=ca_file)
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                  _NoRedirect())

    def request(self, path, method="GET", headers=None, timeout=30):
        url = path if path.startswith("http") else self.base_url + path
        req = urllib.request.Request(url, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.request(path, **kw)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def raw_request(port, ca_file, request_line):
    """Sends a request line exactly as given (urllib would normalise odd paths)."""
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall((request_line + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode(errors="replace"), body


def version_tuple(text):
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])
