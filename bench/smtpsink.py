"""A local SMTP server (aiosmtpd) in a process of its own that accepts every message and only counts it."""

import multiprocessing
import time

from bench.common import LOOPBACK, process_cpu_seconds


def _sink_main(port, ready, stop, count, size, first, last, marks, step):
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            now = time.monotonic()
            if count.value == 0:
                first.value = now
            count.value += 1
            if count.value % step == 0 and count.value // step < len(marks):
                marks[count.value // step] = now
            size.value += len(envelope.content)
            last.value = now
            return "250 Message accepted"

    controller = Controller(Counting(), hostname=LOOPBACK, port=port)
    controller.start()
    ready.set()
    stop.wait(timeout=7200)  # bounded even if the parent vanished without telling it
    controller.stop()


class Sink:
    SEGMENTS = 20

    def __init__(self, port, expected=0):
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
            target=_sink_main,
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
