"""Fault injection between the application and a real registry, and the registry's own call count.

- RecordingRegistry: servers.DockerRegistry with distribution's access log on (also the base of
  test/acceptance/pullthrough.py's LoggingDockerRegistry): the calls the registry itself saw, between marks.
- FaultProxy: a small HTTP proxy on a free loopback port in front of a registry (or a token service): what
  cannot be had for real here, a slow network, a registry that answers 503 or 401, one that never answers,
  a host whose connections are reset. It records every request it receives (the app's attempts, also those
  that never reach the registry) and can hold responses at a gate until the test opens it.
- accepted_connections(): FastCGI connections a worker pool has accepted (from /proc/net/unix), so a test
  knows a burst of clients is inside the application before it lets the registry answer.
- AccessLog: the application's access log lines (registry=, cache_hits=, stale=, shared=) after a point.
"""

import http.client
import http.server
import os
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import servers

# ---------------------------------------------------------------- the registry's own access log

_ACCESS = re.compile(r'^\S+ - \S+ \[[^\]]+\] "([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ')
_MARK = "/v2/?otr-mark-"


class RecordingRegistry(servers.DockerRegistry):
    """servers.DockerRegistry (plain HTTP) with its access log on: one line per call, on its stdout."""

    def __init__(self, directory, auth=None):
        super().__init__(directory, auth=auth)
        with open(self.config) as f:
            text = f.read()
        text = servers.substitute(text, {"  accesslog:\n    disabled: true\n": "  accesslog:\n    disabled: false\n"})
        with open(self.config, "w") as f:
            f.write(text)
        self.log_path = os.path.join(directory, "registry.log")
        self._marks = 0
        self._lock = threading.Lock()

    def calls(self):
        """[(method, path with query, status)] in the order the registry logged them."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, errors="replace") as f:
            return [(m.group(1), m.group(2), int(m.group(3))) for m in map(_ACCESS.match, f) if m]

    def mark(self):
        """A point in the access log: calls_since(mark()) are the calls logged after it.

        A request of our own, straight to the registry, whose line is waited for."""
        with self._lock:
            self._marks += 1
            token = "otr-mark-%d" % self._marks
        try:
            with urllib.request.urlopen("%s/v2/?%s" % (self.url, token), timeout=10):
                pass
        except urllib.error.HTTPError:
            pass  # a registry wanting credentials answers 401, and logs it all the same
        servers.wait_until(lambda: any(c[1] == "/v2/?" + token for c in self.calls()),
                           "the registry to log its mark " + token)
        return token

    def calls_after(self, token):
        """The calls logged after the mark `token` so far (no new mark: for polling)."""
        calls = self.calls()
        paths = [c[1] for c in calls]
        return [c for c in calls[paths.index("/v2/?" + token) + 1:] if not c[1].startswith(_MARK)]

    def calls_since(self, token, end=None):
        """The calls between the mark `token` and `end` (default: a new mark now), marks left out."""
        end = end or self.mark()
        calls = self.calls()
        paths = [c[1] for c in calls]
        start, stop = paths.index("/v2/?" + token), paths.index("/v2/?" + end)
        return [c for c in calls[start + 1:stop] if not c[1].startswith(_MARK)]


def calls_of(calls, repository, what=None, status=None):
    """The calls for one repository; what: "tags" or "manifests" (by tag or digest); status: only those."""
    out = []
    for method, path, code in calls:
        p = urllib.parse.urlsplit(path).path
        if not p.startswith("/v2/" + repository + "/"):
            continue
        if what and not p[len("/v2/" + repository + "/"):].startswith(what + "/"):
            continue
        if status is not None and code != status:
            continue
        out.append((method, path, code))
    return out


def per_resource(calls):
    """{(method, path without query): count}."""
    counts = {}
    for method, path, _ in calls:
        key = (method, urllib.parse.urlsplit(path).path)
        counts[key] = counts.get(key, 0) + 1
    return counts


# ---------------------------------------------------------------- the proxy

class Gate:
    """Holds the responses of matching requests (forwarded, answered by the upstream) until opened, and
    each at least `min_hold` seconds (a slow network: a fault injected, not a synchronisation)."""

    def __init__(self, predicate, max_hold, min_hold=0.0):
        self.predicate = predicate
        self.max_hold = max_hold
        self.min_hold = min_hold
        self._open = threading.Event()
        self._lock = threading.Lock()
        self.held = 0      # responses that reached the gate
        self.passed = 0    # responses sent on after waiting

    def wait(self):
        with self._lock:
            self.held += 1
        slow_until = time.monotonic() + self.min_hold
        self._open.wait(self.max_hold)
        remaining = slow_until - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)  # the injected slowness itself
        with self._lock:
            self.passed += 1

    def open(self):
        self._open.set()

    @property
    def is_open(self):
        return self._open.is_set()


class FaultProxy:
    """HTTP proxy to `upstream` (http://host:port). Every response carries `Connection: close`, so every call
    of the application is one connection here and a reset is never retried by libcurl on a reused one.

    faults: [(predicate(method, path), action)], first match wins; action is
      ("status", code[, headers]) answer that status without asking the upstream;
      ("hang",)                    read the request and never answer (until stop());
      ("reset",)                   read the request and reset the connection, as a dead host's would be.
    A request whose upstream cannot be reached (stopped) is reset too. gate(): hold responses."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.requests = []       # (method, path) of every request received, in order
        self.faults = []
        self.gates = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reset(self):
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                except OSError:
                    pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    proxy.requests.append((self.command, self.path))
                    fault = next((a for p, a in proxy.faults if p(self.command, self.path)), None)
                    gates = [g for g in proxy.gates if g.predicate(self.command, self.path)]
                if fault and fault[0] == "hang":
                    proxy._stopping.wait(60)
                    return self._reset()
                if fault and fault[0] == "reset":
                    return self._reset()
                if fault and fault[0] == "status":
                    status, headers, data = fault[1], dict(fault[2] if len(fault) > 2 else {}), b'{"errors":[]}\n'
                    length_of_head = str(len(data))
                else:
                    try:
                        conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                        headers_out = {k: v for k, v in self.headers.items()
                                       if k.lower() not in ("connection", "keep-alive", "host")}
                        headers_out["Host"] = proxy.upstream.netloc
                        conn.request(self.command, self.path, body=body, headers=headers_out)
                        r = conn.getresponse()
                        length_of_head = r.getheader("Content-Length") or "0"
                        data = r.read()
                        status = r.status
                        headers = [(k, v) for k, v in r.getheaders()
                                   if k.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                                        "content-length")]
                        conn.close()
                    except OSError:
                        return self._reset()  # the upstream is down: so is this host, as far as callers see
                    for g in gates:
                        g.wait()
                self.send_response(status)
                for k, v in (headers.items() if isinstance(headers, dict) else headers):
                    self.send_header(k, v)
                self.send_header("Content-Length", str(length_of_head if self.command == "HEAD" else len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # socketserver's 5 drops the connections of a burst (SYN retried after 1s)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def fault(self, predicate, *action):
        """Adds a fault; returns it for remove()."""
        entry = (predicate, action)
        with self._lock:
            self.faults.append(entry)
        return entry

    def remove(self, entry):
        with self._lock:
            self.faults.remove(entry)

    def gate(self, predicate, max_hold=20.0, min_hold=0.0):
        g = Gate(predicate, max_hold, min_hold)
        with self._lock:
            self.gates.append(g)
        return g

    def ungate(self, g):
        g.open()
        with self._lock:
            self.gates.remove(g)

    def received(self, predicate=lambda m, p: True):
        with self._lock:
            return [(m, p) for m, p in self.requests if predicate(m, p)]

    def stop(self):
        self._stopping.set()
        for g in list(self.gates):
            g.open()
        self.server.shutdown()
        self.server.server_close()


def under(repository, what=None):
    """A predicate for FaultProxy: requests for `repository` (what: "tags", "manifests", "blobs")."""
    prefix = "/v2/" + repository + "/" + (what + "/" if what else "")
    return lambda method, path: urllib.parse.urlsplit(path).path.startswith(prefix)


# ---------------------------------------------------------------- inside the application

def accepted_connections(socket_path):
    """Connections to the unix socket `socket_path` that a process has accept()ed (state SS_CONNECTED);
    connections still in the listen backlog are SS_CONNECTING and not counted."""
    n = 0
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            parts = line.split()
            if len(parts) >= 8 and parts[7] == socket_path and parts[5] == "03":
                n += 1
    return n


_ACCESS_LINE = re.compile(r'\b(GET|HEAD) (\S+) (\d{3}) (\d+)B ([\d.]+)ms registry=(\d+) cache_hits=(\d+)'
                          r'(?: stale=(\d+))?(?: shared=(\d+))?')


class AccessLine:
    def __init__(self, m):
        self.method, self.path, self.status = m.group(1), m.group(2), int(m.group(3))
        self.registry, self.cache_hits = int(m.group(6)), int(m.group(7))
        self.stale, self.shared = int(m.group(8) or 0), int(m.group(9) or 0)
        self.text = m.group(0)

    def __repr__(self):
        return self.text


class AppLog:
    """The worker pool's log from a point on: access lines and messages."""

    def __init__(self, pool):
        self.path = pool.process.log_path
        self.offset = os.path.getsize(self.path)

    def text(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode(errors="replace")

    def access(self, path=None):
        out = []
        for line in self.text().splitlines():
            m = _ACCESS_LINE.search(line)
            if m and (path is None or m.group(2) == path):
                out.append(AccessLine(m))
        return out

    def wait_access(self, path, count=1):
        """The access lines for `path`, once `count` of them are written (a line follows its response)."""
        servers.wait_until(lambda: len(self.access(path)) >= count, "%d access log line(s) for %s" % (count, path))
        return self.access(path)


def wait_past(deadline):
    """Waits until time.monotonic() reaches `deadline`: a cache TTL running out is the condition."""
    servers.wait_until(lambda: time.monotonic() >= deadline, "the tag cache TTL to run out", timeout=60)
