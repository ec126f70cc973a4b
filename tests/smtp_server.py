"""A real SMTP server on loopback (aiosmtpd) whose answers tests can steer.

It records every message it accepted, with its Message-ID, and can be told to:
- refuse chosen recipients permanently (550) at RCPT;
- answer 451 (or any code) at DATA until a moment passes, or for the next N messages, then recover;
- greet new connections with 421 (and hang up) until a moment passes, or for the next N connections, as a
  busy server does;
- accept a message and then drop the connection without saying "250 OK" (the sender cannot know it arrived);
- take its time over each message after storing it (`delay_after_accept`), so a batch is slow enough to
  kill a worker in the middle of it;
- hold the next message, before answering it or after storing it, until the test releases it (`hold_next`),
  so a test can act at an exact moment of a send (kill the sender, withdraw consent);
- offer PIPELINING (RFC 2920) or not (`pipelining`, on by default, as Postfix and the big providers offer
  it), counting the envelopes whose RCPT had already arrived when MAIL was answered (`pipelined_envelopes`).
"""

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Received:
    rcpt: list
    message: email.message.EmailMessage
    at: float = field(default_factory=time.time)  # wall clock, comparable with a row's due_at.timestamp()

    @property
    def message_id(self):
        return self.message["Message-ID"]


class Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.rcpt_attempts: list[str] = []  # every RCPT address asked for, accepted or refused
        self.refuse: dict[str, str] = {}  # recipient -> "550 ..." answer at RCPT
        self.temporary_until = 0.0
        self.temporary_answer = "451 4.3.0 Try again later"
        self.temporary_next = 0  # answer the next N messages with temporary_answer
        self.greeting_until = 0.0
        self.greeting_answer = "421 4.3.2 Service not available, closing transmission channel"
        self.greeting_refuse_next = 0  # greet the next N connections with greeting_answer
        self.greetings_refused = 0
        self.temporary_refusals = 0
        self.drop_after_accept = set()  # message ids (or "*") to accept, then hang up on
        self.drops = 0
        self.delay_after_accept = 0.0
        self.hold_stage = None  # "before_answer" or "after_accept": hold the next message there
        self.holding = threading.Event()
        self.released = threading.Event()
        self.held_message_id = None
        self.lock = threading.Lock()
        self.pipelining = True
        self.pipelined_envelopes = 0

    def hold_next(self, stage: str):
        """Hold the next message at `stage` until `release()`; `holding` is set while it is held."""
        assert stage in ("before_answer", "after_accept")
        self.holding.clear()
        self.released.clear()
        self.held_message_id = None
        self.hold_stage = stage

    def release(self):
        self.released.set()

    async def _hold(self, message_id):
        self.hold_stage = None
        self.held_message_id = message_id
        self.holding.set()
        deadline = time.monotonic() + 30
        while not self.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self.holding.clear()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # What the client sent after MAIL before hearing its answer is still in the server's read buffer.
        if b"RCPT" in bytes(server._reader._buffer).upper():
            self.pipelined_envelopes += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts.append(address.lower())
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_stage == "before_answer":
            await self._hold(None)
        if time.monotonic() < self.temporary_until or self.temporary_next > 0:
            self.temporary_next = max(self.temporary_next - 1, 0)
            self.temporary_refusals += 1
            return self.temporary_answer
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
            drop = "*" in self.drop_after_accept or message["Message-ID"] in self.drop_after_accept
            if drop:
                self.drop_after_accept.discard(message["Message-ID"])
                self.drops += 1
        if drop:
            # The message is stored, but the client never hears "250": from its side the outcome is unknown.
            server.transport.abort()
            return "250 OK"
        if self.hold_stage == "after_accept":
            await self._hold(message["Message-ID"])
        elif self.delay_after_accept:
            await asyncio.sleep(self.delay_after_accept)
        return "250 OK"


class _SMTP(SMTP):
    async def _handle_client(self):
        handler = self.event_handler
        if time.monotonic() < handler.greeting_until or handler.greeting_refuse_next > 0:
            handler.greeting_refuse_next = max(handler.greeting_refuse_next - 1, 0)
            # A busy server says so instead of "220" and hangs up: the client cannot even start.
            handler.greetings_refused += 1
            await self.push(handler.greeting_answer)
            self.transport.close()
            return
        await super()._handle_client()


class _Controller(Controller):
    def factory(self):
        return _SMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPTestServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def received(self):
        return self.handler.received

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address):
        return [r for r in self.received if address in r.rcpt]

    def wait_for(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.received)
