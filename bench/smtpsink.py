"""A local SMTP server in a process of its own that accepts every message and only counts it.

Two servers, chosen by `kind`:
- "lean" (the default): a minimal SMTP server on asyncio's Protocol, answering EHLO, MAIL, RCPT, DATA, RSET,
  NOOP and QUIT and counting what it takes. It costs about a tenth of aiosmtpd's CPU a message. A
  deployment's relay (Postfix, a provider's API edge) runs on other cores and is built for this, so
  aiosmtpd on the worker's own two cores (1.3 to 1.5 ms of CPU a message, as much as the worker itself) had
  made the benchmark measure the sink as much as the worker.
- "aiosmtpd": the real server the tests use, as earlier runs measured with.

Both offer PIPELINING (RFC 2920) unless told not to, as the relays a deployment sends through do (Postfix,
Exim, Microsoft 365, Gmail); aiosmtpd reads commands in order from its buffer, so it takes pipelined ones
as they are, but does not say so by itself."""

import asyncio
import multiprocessing
import threading
import time

from bench.common import LOOPBACK, process_cpu_seconds


class _Counter:
    """What either sink took, in the shared values the parent reads: how many, how many bytes, and when."""

    def __init__(self, count, size, first, last, marks, step):
        self.count, self.size, self.first, self.last = count, size, first, last
        self.marks, self.step = marks, step

    def took(self, nbytes):
        now = time.monotonic()
        if self.count.value == 0:
            self.first.value = now
        self.count.value += 1
        if self.count.value % self.step == 0 and self.count.value // self.step < len(self.marks):
            self.marks[self.count.value // self.step] = now
        self.size.value += nbytes
        self.last.value = now


class _LeanSMTP(asyncio.Protocol):
    """One connection: commands line by line, then after DATA's 354 everything up to the lone "." line."""

    def __init__(self, counter, pipelining, delay):
        self.counter = counter
        self.delay = delay  # seconds each answer takes to reach the client: a relay a network hop away
        extensions = b"250-PIPELINING\r\n" if pipelining else b""
        self.ehlo = b"250-sink\r\n" + extensions + b"250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n"
        self.buffer = bytearray()
        self.in_data = False
        self.scanned = 0  # how far into a message the end has been looked for

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data):
        self.buffer += data
        answers = []
        while self.buffer:
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):
                    end, rest = 0, 3
                else:
                    end = self.buffer.find(b"\r\n.\r\n", max(0, self.scanned - 4))
                    if end < 0:
                        self.scanned = len(self.buffer)
                        break
                    rest = end + 5
                self.counter.took(end)
                del self.buffer[:rest]
                self.in_data, self.scanned = False, 0
                answers.append(b"250 Message accepted\r\n")
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                break
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[: line_end + 2]
            if verb == b"EHLO":
                answers.append(self.ehlo)
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP", b"HELO"):
                answers.append(b"250 OK\r\n")
            elif verb == b"DATA":
                answers.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                self.in_data = True
            elif verb == b"QUIT":
                answers.append(b"221 Bye\r\n")
                self._answer(b"".join(answers))
                if self.delay:
                    asyncio.get_running_loop().call_later(self.delay, self.transport.close)
                else:
                    self.transport.close()
                return
            else:
                answers.append(b"500 Command not recognised\r\n")
        if answers:
            self._answer(b"".join(answers))

    def _answer(self, data):
        if self.delay:
            asyncio.get_running_loop().call_later(self.delay, self.transport.write, data)  # in order: FIFO
        else:
            self.transport.write(data)


def _lean_main(port, ready, stop, count, size, first, last, marks, step, pipelining, delay):
    counter = _Counter(count, size, first, last, marks, step)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: _LeanSMTP(counter, pipelining, delay), LOOPBACK, port, reuse_address=True)
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    ready.set()
    stop.wait(timeout=7200)  # bounded even if the parent vanished without telling it
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def _sink_main(port, ready, stop, count, size, first, last, marks, step, pipelining, delay):
    if delay:
        raise ValueError("only the lean sink can delay its answers")
    from aiosmtpd.controller import Controller

    counter = _Counter(count, size, first, last, marks, step)

    class Counting:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]] if pipelining else responses

        async def handle_DATA(self, server, session, envelope):
            counter.took(len(envelope.content))
            return "250 Message accepted"

    controller = Controller(Counting(), hostname=LOOPBACK, port=port)
    controller.start()
    ready.set()
    stop.wait(timeout=7200)  # bounded even if the parent vanished without telling it
    controller.stop()


class Sink:
    SEGMENTS = 20

    def __init__(self, port, expected=0, pipelining=True, kind="lean", delay_ms=0.0):
        ctx = multiprocessing.get_context("fork")
        self.port = port
        self._count = ctx.Value(
            "q", 0, lock=False
        )  # one writer (the sink's event loop); the parent only reads
        self._size = ctx.Value("q", 0, lock=False)
        self._first = ctx.Value("d", 0.0, lock=False)
        self._last = ctx.Value("d", 0.0, lock=False)
        # When the count reached each 1/20th of the expected messages: the rate along the run, not its mean.
        self._step = max(1, expected // self.SEGMENTS)
        self._marks = ctx.RawArray("d", self.SEGMENTS + 1)
        ready, self._stop = ctx.Event(), ctx.Event()
        self.process = ctx.Process(
            target={"lean": _lean_main, "aiosmtpd": _sink_main}[kind],
            args=(
                port,
                ready,
                self._stop,
                self._count,
                self._size,
                self._first,
                self._last,
                self._marks,
                self._step,
                pipelining,
                delay_ms / 1000,
            ),
            daemon=True,
        )
        self.process.start()
        if not ready.wait(timeout=20):
            self.close()
            raise RuntimeError("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return self._count.value

    @property
    def bytes(self) -> int:
        return self._size.value

    @property
    def steady_rate(self) -> float | None:
        """Messages per second between the first and the last message the sink accepted."""
        span = self._last.value - self._first.value
        return (self.count - 1) / span if self.count > 1 and span > 0 else None

    def segment_rates(self) -> list[float]:
        """Messages per second in each twentieth of the run (from the first message accepted)."""
        marks = [self._first.value] + list(self._marks[1:])
        return [
            round(self._step / (b - a), 1) for a, b in zip(marks, marks[1:], strict=False) if a > 0 and b > a
        ]

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def close(self):
        self._stop.set()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
