"""A local stand-in for GOV.UK Notify's API, on 127.0.0.1, that tests (and the bench) can steer.

It implements the few endpoints Pledgecard uses, as the real `notifications-python-client` calls them:
    POST /v2/notifications/email | /sms | /letter (precompiled: `reference` + base64 `content`)
    GET  /v2/notifications/{id}
    GET  /v2/notifications?reference=...
Like Notify it:
- checks the JWT in "Authorization: Bearer": HS256, `iss` = the service id, `iat` within 30 seconds, signed
  with the secret of one of the service's keys (an API key is `{name}-{service_id}-{secret}`); a revoked or
  unknown key gets 403;
- validates recipients with its own copy of Notify's rules (written here independently of the product's
  delivery/postal.py, so a test is not the product checking itself): UK mobiles, template ids and their
  placeholders, a trial-mode service that cannot send letters, a precompiled PDF whose address block it reads;
- answers 429 above a rate limit (a sliding window per key; 3,000 a minute unless told otherwise).
It can be told to answer 429 or 500, to time out, or to accept a notification and then drop the connection
without answering (the sender cannot know it was accepted). Everything received is recorded.
"""

import base64
import binascii
import datetime as dt
import io
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

MM = 72 / 25.4  # PDF points per millimetre


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Key:
    name: str
    secret: str
    kind: str = "normal"  # normal (live), team, test
    revoked: bool = False


@dataclass
class Service:
    id: str
    keys: list = field(default_factory=list)
    trial_mode: bool = False
    templates: dict = field(default_factory=dict)  # id -> (type, subject, body)


@dataclass
class Notification:
    id: str
    reference: str | None
    type: str
    status: str
    recipient: str
    body: str = ""
    subject: str = ""
    template_id: str | None = None
    pdf: bytes = b""
    address: list = field(default_factory=list)
    postage: str | None = None
    problem: str = ""  # why a letter failed validation
    created_at: float = field(default_factory=time.time)
    key_name: str = ""

    def as_json(self, base):
        created = dt.datetime.fromtimestamp(self.created_at, dt.UTC).isoformat().replace("+00:00", "Z")
        data = {
            "id": self.id,
            "reference": self.reference,
            "type": self.type,
            "status": self.status,
            "email_address": self.recipient if self.type == "email" else None,
            "phone_number": self.recipient if self.type == "sms" else None,
            "body": self.body,
            "subject": self.subject or None,
            "created_at": created,
            "created_by_name": None,
            "sent_at": created,
            "completed_at": None,
            "scheduled_for": None,
            "postage": self.postage,
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{base}/v2/template/{self.template_id}",
            },
        }
        for i, line in enumerate(self.address[:7], start=1):
            data[f"line_{i}"] = line
        if self.address:
            data["postcode"] = self.address[-1]
        return data


# --- Notify's rules, written out again for the stand-in -------------------------------------------------------

_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{2}")


def notify_phone_error(number: str) -> str | None:
    """Notify's v2 API messages for a UK mobile number it will not send to (None if it is fine)."""
    for c in "()-+ \t":
        number = number.replace(c, "")
    if not number.isdigit():
        return "Must not contain letters or symbols"
    number = number.lstrip("0")
    if number.startswith("44"):
        number = number[2:].lstrip("0")
    if not number.startswith("7"):
        return "Not a UK mobile number"
    if len(number) > 10:
        return "Too many digits"
    if len(number) < 10:
        return "Not enough digits"
    return None


def letter_problems(pdf: bytes):
    """(address lines, problem) as Notify's letter checks would find them; problem is "" for a good letter."""
    import pdfplumber

    try:
        document = pdfplumber.open(io.BytesIO(pdf))
    except Exception:  # noqa: BLE001 - any failure to read is "not a PDF" to Notify
        return [], "letter-not-a-pdf"
    with document:
        if len(document.pages) > 10:
            return [], "letter-too-long"
        for page in document.pages:
            if abs(page.width - 210 * MM) > 1 or abs(page.height - 297 * MM) > 1:
                return [], "letter-not-a4-portrait-oriented"
            for char in page.chars:
                if char["text"].isspace():
                    continue  # Notify looks for ink in the margins; a space has none
                if (
                    char["x0"] < 15 * MM - 0.5
                    or char["x1"] > 195 * MM + 0.5
                    or char["top"] < 5 * MM - 0.5
                    or char["bottom"] > 292 * MM + 0.5
                ):
                    return [], "content-outside-printable-area"
        first = document.pages[0]
        block = (24.6 * MM, 39.5 * MM, (24.6 + 95.4) * MM, (39.5 + 26.8) * MM)
        inside = first.within_bbox(block).extract_text() or ""
        lines = [line.strip() for line in inside.splitlines() if line.strip()]
        if not 3 <= len(lines) <= 7:
            return lines, "not-a-real-uk-postcode" if not lines else "address-lines"
        if not _POSTCODE.fullmatch(lines[-1].replace(" ", "").upper()):
            return lines, "not-a-real-uk-postcode"
    return lines, ""


# --- The server ----------------------------------------------------------------------------------------------


class Faults:
    """What the stand-in should do wrong next. Each list holds one entry per request it applies to."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next: deque = deque()  # ("status", 429) / ("status", 500) / ("timeout", seconds) / ("drop",)
        self.status_until = (0.0, 429)  # answer this status to every send until the moment passes
        self.only_paths = None  # apply queued faults only to paths starting with one of these

    def take(self, path):
        with self.lock:
            until, status = self.status_until
            if time.monotonic() < until:
                return ("status", status)
            if self.next and (self.only_paths is None or path.startswith(self.only_paths)):
                return self.next.popleft()
        return None


class NotifyStandIn:
    def __init__(self, *, rate_limit: int = 3000, rate_window: float = 60.0):
        self.port = free_port()
        self.services: dict[str, Service] = {}
        self.notifications: dict[str, Notification] = {}
        self.requests: list[dict] = []  # every request: method, path, key, status, at
        self.faults = Faults()
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self._windows: dict[str, deque] = {}
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # set-up
    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def add_service(self, *, trial_mode=False) -> Service:
        service = Service(id=str(uuid.uuid4()), trial_mode=trial_mode)
        self.services[service.id] = service
        return service

    def add_key(self, service: Service, name="pledgecard", kind="normal") -> str:
        key = Key(name=name, secret=str(uuid.uuid4()), kind=kind)
        service.keys.append(key)
        return f"{name}-{service.id}-{key.secret}"

    def revoke(self, api_key: str):
        for service in self.services.values():
            for key in service.keys:
                if api_key.endswith(key.secret):
                    key.revoked = True

    def add_template(self, service: Service, kind: str, body: str, subject: str = "") -> str:
        template_id = str(uuid.uuid4())
        service.templates[template_id] = (kind, subject, body)
        return template_id

    # steering
    def fail_next(self, count: int, status: int = 500):
        self.faults.next.extend([("status", status)] * count)

    def fail_for(self, seconds: float, status: int = 429):
        self.faults.status_until = (time.monotonic() + seconds, status)

    def time_out_next(self, count: int, seconds: float, *, accept: bool = False):
        """Take `seconds` before answering (longer than the client waits); `accept` stores the notification."""
        self.faults.next.extend([("timeout", seconds, accept)] * count)

    def drop_after_accept_next(self, count: int = 1):
        self.faults.next.extend([("drop",)] * count)

    def set_status(self, notification_id: str, status: str):
        self.notifications[notification_id].status = status

    # what happened
    def by_reference(self, reference) -> list[Notification]:
        return [n for n in self.notifications.values() if n.reference == reference]

    def references(self) -> Counter:
        return Counter(n.reference for n in self.notifications.values())

    def sends(self):
        return [r for r in self.requests if r["method"] == "POST"]

    def limited(self) -> int:
        """Requests refused because they went over the rate limit."""
        return sum(1 for r in self.requests if r.get("limited"))

    def max_in_window(self, window: float, statuses=None) -> int:
        """The most requests that reached the server within any `window` seconds (all keys)."""
        times = sorted(r["at"] for r in self.requests if statuses is None or r["status"] in statuses)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    # internals
    def _rate_limited(self, key_id: str) -> bool:
        now = time.monotonic()
        with self.lock:
            window = self._windows.setdefault(key_id, deque())
            while window and now - window[0] >= self.rate_window:
                window.popleft()
            if len(window) >= self.rate_limit:
                return True
            window.append(now)
            return False


def _error(status, error, message):
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    standin: NotifyStandIn

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        standin = self.standin
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        record = {"method": method, "path": self.path, "at": time.monotonic(), "key": None, "status": None}
        with standin.lock:
            standin.requests.append(record)
        service, key, problem = self._authenticate()
        if problem:
            return self._send(record, *problem)
        record["key"] = key.name
        if standin._rate_limited(key.secret):
            record["limited"] = True  # the stand-in's own limit, not a fault a test asked for
            return self._send(
                record,
                *_error(
                    429,
                    "RateLimitError",
                    f"Exceeded rate limit for key type {key.kind.upper()} of "
                    f"{standin.rate_limit} requests per {standin.rate_window:g} seconds",
                ),
            )
        fault = standin.faults.take(self.path) if method == "POST" else None
        if fault and fault[0] == "status":
            return self._send(
                record,
                *_error(
                    fault[1],
                    "RateLimitError" if fault[1] == 429 else "ServerError",
                    "Exceeded rate limit" if fault[1] == 429 else "Internal server error",
                ),
            )
        if fault and fault[0] == "timeout" and not fault[2]:
            time.sleep(fault[1])  # never processed: the client has given up by the time we say so
            return self._send(record, *_error(500, "ServerError", "Internal server error (too late)"))
        try:
            status, body = self._route(method, service, key, raw)
        except Exception as exc:  # noqa: BLE001 - a bug in the stand-in shows as a 500 with its text
            status, body = _error(500, "StandInError", repr(exc))
        if fault and fault[0] == "timeout":
            time.sleep(
                fault[1]
            )  # processed and stored, but the answer comes after the client stopped waiting
        if fault and fault[0] == "drop" and status == 201:
            record["status"] = "dropped"
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        return self._send(record, status, body)

    def _authenticate(self):
        standin = self.standin
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None, None, _error(401, "AuthError", "Unauthorized: authentication token must be provided")
        token = header[len("Bearer ") :]
        try:
            unverified = jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            return None, None, _error(403, "AuthError", "Invalid token: signature, api token is not valid")
        if algorithm != "HS256":
            return None, None, _error(403, "AuthError", "Invalid token: algorithm used is not HS256")
        service = standin.services.get(str(unverified.get("iss")))
        if service is None:
            return None, None, _error(403, "AuthError", "Invalid token: service not found")
        for key in service.keys:
            try:
                claims = jwt.decode(
                    token, key=key.secret, algorithms=["HS256"], options={"verify_iat": False}
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError:
                return (
                    None,
                    None,
                    _error(403, "AuthError", "Invalid token: signature, api token is not valid"),
                )
            if key.revoked:
                return None, None, _error(403, "AuthError", "Invalid token: API key revoked")
            if "iat" not in claims or abs(time.time() - int(claims["iat"])) > 30:
                return (
                    None,
                    None,
                    _error(
                        403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
                    ),
                )
            return service, key, None
        return None, None, _error(403, "AuthError", "Invalid token: API key not found")

    def _route(self, method, service, key, raw):
        standin = self.standin
        url = urlparse(self.path)
        if method == "GET" and url.path == "/v2/notifications":
            query = parse_qs(url.query)
            reference = query.get("reference", [None])[0]
            found = [
                n
                for n in standin.notifications.values()
                if n.reference == reference and n.key_name in {k.name for k in service.keys}
            ]
            found.sort(key=lambda n: n.created_at, reverse=True)
            return 200, {
                "notifications": [n.as_json(standin.url) for n in found],
                "links": {"current": f"{standin.url}{self.path}"},
            }
        match = re.fullmatch(r"/v2/notifications/([0-9a-f-]{36})", url.path)
        if method == "GET" and match:
            notification = standin.notifications.get(match.group(1))
            if notification is None:
                return _error(404, "NoResultFound", "No result found")
            return 200, notification.as_json(standin.url)
        if method == "POST" and url.path in (
            "/v2/notifications/email",
            "/v2/notifications/sms",
            "/v2/notifications/letter",
        ):
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                return _error(400, "ValidationError", "Invalid JSON supplied in POST data")
            return getattr(self, "_post_" + url.path.rsplit("/", 1)[1])(service, key, data)
        return _error(404, "NotFound", "The requested URL was not found on the server.")

    def _template(self, service, data, kind):
        template = service.templates.get(str(data.get("template_id")))
        if template is None or template[0] != kind:
            return None, _error(400, "BadRequestError", "Template not found")
        personalisation = data.get("personalisation") or {}
        _, subject, body = template
        missing = sorted(
            {p for p in re.findall(r"\(\((\w+)\)\)", subject + body) if p not in personalisation}
        )
        if missing:
            return None, _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")

        def fill(text):
            return re.sub(r"\(\((\w+)\)\)", lambda m: str(personalisation[m.group(1)]), text)

        return (fill(subject), fill(body)), None

    def _store(self, key, **fields) -> Notification:
        notification = Notification(id=str(uuid.uuid4()), key_name=key.name, **fields)
        with self.standin.lock:
            self.standin.notifications[notification.id] = notification
        return notification

    def _post_email(self, service, key, data):
        address = str(data.get("email_address", ""))
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            return _error(400, "ValidationError", "email_address Not a valid email address")
        filled, problem = self._template(service, data, "email")
        if problem:
            return problem
        n = self._store(
            key,
            reference=data.get("reference"),
            type="email",
            status="created",
            recipient=address,
            subject=filled[0],
            body=filled[1],
            template_id=data["template_id"],
        )
        return 201, {
            "id": n.id,
            "reference": n.reference,
            "uri": f"{self.standin.url}/v2/notifications/{n.id}",
            "content": {"subject": n.subject, "body": n.body, "from_email": "test@notify.local"},
            "template": {"id": n.template_id, "version": 1, "uri": ""},
            "scheduled_for": None,
        }

    def _post_sms(self, service, key, data):
        number = str(data.get("phone_number", ""))
        error = notify_phone_error(number)
        if error:
            return _error(400, "ValidationError", f"phone_number {error}")
        filled, problem = self._template(service, data, "sms")
        if problem:
            return problem
        if len(filled[1]) > 918:
            return _error(
                400,
                "BadRequestError",
                f"Text messages cannot be longer than 918 characters. Your message "
                f"is {len(filled[1])} characters long",
            )
        n = self._store(
            key,
            reference=data.get("reference"),
            type="sms",
            status="created",
            recipient=number,
            body=filled[1],
            template_id=data["template_id"],
        )
        return 201, {
            "id": n.id,
            "reference": n.reference,
            "uri": f"{self.standin.url}/v2/notifications/{n.id}",
            "content": {"body": n.body, "from_number": "Pledgecard"},
            "template": {"id": n.template_id, "version": 1, "uri": ""},
            "scheduled_for": None,
        }

    def _post_letter(self, service, key, data):
        if "content" not in data:
            return _error(400, "ValidationError", "template_id is a required property")
        if not data.get("reference"):
            return _error(400, "ValidationError", "reference is a required property")
        if service.trial_mode:
            return _error(
                400,
                "BadRequestError",
                "Cannot send letters when service is in trial mode - see "
                "https://www.notifications.service.gov.uk/trial-mode",
            )
        try:
            pdf = base64.b64decode(data["content"], validate=True)
        except (binascii.Error, ValueError):
            return _error(400, "ValidationError", "Cannot decode letter content (base64) in request")
        if not pdf.startswith(b"%PDF"):
            return _error(400, "ValidationError", "Letter content is not a valid PDF")
        if len(pdf) > 2 * 1024 * 1024:
            return _error(400, "ValidationError", "Letter content is larger than 2MB")
        postage = data.get("postage", "second")
        if postage not in ("first", "second", "economy"):
            return _error(400, "ValidationError", "postage invalid. It must be first, second or economy.")
        # Notify checks a precompiled letter after accepting it; the result shows in its status.
        lines, problem = letter_problems(pdf)
        n = self._store(
            key,
            reference=data["reference"],
            type="letter",
            status="validation-failed" if problem else "accepted",
            recipient="\n".join(lines),
            pdf=pdf,
            address=lines,
            postage=postage,
            problem=problem,
        )
        return 201, {"id": n.id, "reference": n.reference, "postage": postage}

    def _send(self, record, status, body):
        record["status"] = status
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)
        return None
