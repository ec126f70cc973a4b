"""A real SMTP server on loopback (aiosmtpd) whose answers tests can steer.

It records every message it accepted, with its Message-ID, and can be told to:
- refuse chosen recipients permanently (550) at RCPT;
- answer 451 (or any code) at DATA until a moment passes, then recover;
- accept a message and then drop the connection without saying "250 OK" (the sender cannot know it arrived).
"""

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    rcpt: list
    message: email.message.EmailMessage

    @property
    def message_id(self):
        return self.message["Message-ID"]


class Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # recipient -> "550 ..." answer at RCPT
        self.temporary_until = 0.0
        self.temporary_answer = "451 4.3.0 Try again later"
        self.drop_after_accept = set()  # message ids (or "*") to accept, then hang up on
        self.drops = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if time.monotonic() < self.temporary_until:
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
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPTestServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def received(self):
        return self.handler.received

    def to(self, address):
        return [r for r in self.received if address in r.rcpt]

    def wait_for(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.received)
