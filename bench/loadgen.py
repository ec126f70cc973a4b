"""The load generator: closed-loop client processes, each on one keep-alive HTTP/1.1 connection.

Each client is a separate process (no GIL shared with the others) that sends its next request as soon as the
last one is answered. All clients start at the same instant; requests that start in the warm-up or finish
after the end are not counted. Each client reports its latencies and the CPU time it used itself, so the
report can show how much of the 2 cores the load generator took from the server.
"""

import gzip
import re
import socket
import time
import urllib.parse

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECTOR_RE = re.compile(r'name="sector"[^>]*?value="([^"]+)"')
THEME_SELECT_RE = re.compile(r'<select[^>]*name="theme".*?</select>', re.S)
OPTION_RE = re.compile(r'<option value="([^"]+)"')
POSTCARD_PATH_RE = re.compile(r"^/postcards/[0-9a-f-]{36}/$")

LEARNT = (
    "Life expectancy differs by years between wards a few miles apart, and the people who live there know "
    "exactly why. Co-production means sharing power, not just asking for views. ({n})"
)
COMMITMENT = (
    "Check our waiting list data by deprivation decile every quarter, and share it with the team. ({n})"
)


class Client:
    """One browser-like visitor at a time on one keep-alive HTTP/1.1 connection, with its own cookie jar.

    A minimal client on a plain socket: http.client costs about 130 µs of CPU per request here, which on 2
    cores takes a fifth of the machine from the server when the page is cheap. This one sends pre-built
    bytes and reads only the status line, Content-Length, Set-Cookie and Location.
    """

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.origin = f"http://{host}:{port}"
        # As a browser asks: pages that may be compressed come gzipped, and that costs the server its CPU.
        self.head = (f"Host: {host}:{port}\r\nUser-Agent: pledgecard-bench\r\nAccept: text/html\r\n"
                     "Accept-Encoding: gzip\r\n")
        self.sock = None
        self.buffer = b""
        self.cookies = {}
        self.reconnects = 0
        self.connections = 0

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.connections += 1

    def _read_until(self, marker):
        while (i := self.buffer.find(marker)) < 0:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer[:i], self.buffer[i + len(marker) :]
        return line

    def _read_exactly(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise ConnectionResetError("server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _exchange(self, request_bytes):
        self.sock.sendall(request_bytes)
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length, chunked, close, location, set_cookies, gzipped = None, False, False, None, [], False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.lower() == "close"
            elif name == "location":
                location = value
            elif name == "content-encoding":
                gzipped = value.lower() == "gzip"
            elif name == "set-cookie":
                set_cookies.append(value)
        if chunked:
            parts = []
            while size := int(self._read_until(b"\r\n").split(b";")[0], 16):
                parts.append(self._read_exactly(size))
                self._read_until(b"\r\n")
            self._read_until(b"\r\n")
            body = b"".join(parts)
        elif length is not None:
            body = self._read_exactly(length)
        else:  # no length: the body runs to the end of the connection
            close = True
            while chunk := self.sock.recv(65536):
                self.buffer += chunk
            body, self.buffer = self.buffer, b""
        if close:
            self.close()
        if gzipped:
            body = gzip.decompress(body)
        return status, location, set_cookies, body

    def request(self, method, path, body=None, headers=None):
        lines = [f"{method} {path} HTTP/1.1\r\n", self.head]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}\r\n")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n")
        payload = body.encode() if isinstance(body, str) else (body or b"")
        if payload or method == "POST":
            lines.append(f"Content-Length: {len(payload)}\r\n")
        request_bytes = "".join(lines).encode("latin-1") + b"\r\n" + payload
        for attempt in (1, 2):
            fresh = self.sock is None
            if fresh:
                self._connect()
            try:
                status, location, set_cookies, data = self._exchange(request_bytes)
                break
            except (ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: open a new one and send again, once.
                self.close()
                if fresh or attempt == 2:
                    raise
                self.reconnects += 1
        for cookie in set_cookies:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return status, location, data

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _bare(client, state):
    status, _, _ = client.request("GET", "/bench/bare/")
    return [status == 200], None


def _submission(client, state):
    """GET the form (CSRF cookie and token), POST distinct valid words, follow the redirect to the thanks
    page.
    """
    client.cookies.clear()  # a new visitor each time: one postcard per browser, as at an event
    timings = []
    t0 = time.monotonic()
    status, _, html = client.request("GET", state["form_path"])
    page = html.decode()
    token = CSRF_RE.search(page)
    if state.get("sectors") is None:
        state["sectors"] = SECTOR_RE.findall(page)
        select = THEME_SELECT_RE.search(page)
        state["themes"] = [v for v in OPTION_RE.findall(select.group(0)) if v] if select else []
    ok = [status == 200 and token is not None and "csrftoken" in client.cookies]
    t1 = time.monotonic()
    timings.append(t1 - t0)
    if not ok[0]:
        return ok, timings
    n = state["seq"]
    state["seq"] += 1
    sectors, themes = state["sectors"], state["themes"]
    unique = f"{state['nonce']}-{state['client']}-{n}"
    form = {
        "csrfmiddlewaretoken": token.group(1),
        "name": f"Bench Writer {unique}",
        "email": f"bench.{unique}@example.org",
        "organisation": "Bradford Teaching Hospitals NHS Foundation Trust",
        "sector": sectors[n % len(sectors)],
        "learnt": LEARNT.format(n=unique),
        "commitment": COMMITMENT.format(n=unique),
        "theme": themes[n % len(themes)] if themes else "",
        "reminder": "yes",
        "share": "on",
    }
    body = urllib.parse.urlencode(form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": client.origin,
        "Referer": client.origin + state["form_path"],
    }
    status, location, _ = client.request("POST", state["form_path"], body=body, headers=headers)
    t2 = time.monotonic()
    timings.append(t2 - t1)
    path = urllib.parse.urlsplit(location or "").path
    ok.append(status == 302 and POSTCARD_PATH_RE.match(path) is not None)
    if not ok[-1]:
        return ok, timings
    status, _, html = client.request("GET", path)
    timings.append(time.monotonic() - t2)
    ok.append(status == 200 and b"Thank you" in html)
    state["thanks_path"] = path
    return ok, timings


SCENARIOS = {"bare": _bare, "submission": _submission}


def pages_main(host, port, form_path, pages, nonce, duration):
    """One visitor, one request at a time: the bare view, then a page, the bare view, the next page, ...

    `pages` maps a name to a path; "thanks" is the page a submission is sent on to (this client writes one
    postcard first and keeps its cookies, so it may see it). Returns {name: [seconds, ...]}, "bare" included.
    """
    client = Client(host, port)
    state = {"form_path": form_path, "nonce": nonce, "client": "pages", "seq": 0, "sectors": None}
    ok, _ = _submission(client, state)
    if not all(ok):
        raise RuntimeError(f"the submission before the pages phase failed at step {len(ok)}")
    paths = {name: state["thanks_path"] if path == "thanks" else path for name, path in pages.items()}
    samples = {"bare": [], **{name: [] for name in paths}}
    end_at = time.monotonic() + duration
    while time.monotonic() < end_at:
        for name, path in paths.items():
            for which, where in (("bare", "/bench/bare/"), (name, path)):
                t0 = time.perf_counter()
                status, _, _ = client.request("GET", where)
                elapsed = time.perf_counter() - t0
                if status != 200:
                    raise RuntimeError(f"GET {where} answered {status}")
                samples[which].append(elapsed)
    client.close()
    return samples


def client_main(scenario, host, port, form_path, nonce, client_id, start_at, measure_from, end_at, out_queue):
    """Run one client until `end_at` (time.monotonic(), shared by all processes) and report what it saw."""
    operation = SCENARIOS[scenario]
    client = Client(host, port)
    state = {"form_path": form_path, "nonce": nonce, "client": client_id, "seq": 0, "sectors": None}
    latencies, steps, errors, error_samples, requests = [], [], 0, [], 0
    while time.monotonic() < start_at:
        time.sleep(0.001)
    cpu0 = time.process_time()
    while True:
        t0 = time.monotonic()
        if t0 >= end_at:
            break
        try:
            ok, timings = operation(client, state)
        except (OSError, ValueError, IndexError) as exc:
            ok, timings = [False], None
            client.close()  # the next request opens a new connection
            if len(error_samples) < 3:
                error_samples.append(repr(exc))
        t1 = time.monotonic()
        if t0 >= measure_from and t1 <= end_at:
            if all(ok):
                latencies.append(t1 - t0)
                requests += len(ok)
                if timings:
                    steps.append(timings)
            else:
                errors += 1
                if len(error_samples) < 3:
                    error_samples.append(f"step {len(ok)} failed")
    cpu = time.process_time() - cpu0
    client.close()
    out_queue.put(
        {
            "client": client_id,
            "latencies": latencies,
            "steps": steps,
            "requests": requests,
            "errors": errors,
            "error_samples": error_samples,
            "reconnects": client.reconnects,
            "connections": client.connections,
            "cpu_seconds": cpu,
        }
    )
