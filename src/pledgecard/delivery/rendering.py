"""Each kind of message says how it is written; apps register a writer for their kinds at start-up.

Messages are written when they are sent, from the rows as they are then, so a long-lived queue never
holds a stale copy of someone's words or a link that has since been revoked.

A kind sent by the thousand (a reminder day) may register a writer for a whole claimed batch instead
(`writes_batch`): it reads its rows in one query and prepares what messages share (templates, an event's
words, an alliance's resources) once, instead of once per message.
"""

import logging
from collections.abc import Callable

from pledgecard.delivery.channels import PermanentFailure, RenderedEmail

logger = logging.getLogger(__name__)

_writers: dict[str, Callable] = {}
# kind -> function(messages) -> {message id: what it renders to, or the exception it must raise}
_batch_writers: dict[str, Callable] = {}
# Kinds an alliance's GOV.UK Notify may send (its email template is plain words: no attachments).
_through_notify: set[str] = set()


class NotWanted(Exception):
    """A writer raises this when the message must no longer go (its recipient withdrew consent)."""


def writes(kind: str, *, through_notify: bool = False):
    """Register the writer of `kind`: function(message) -> Rendered…. `through_notify`: the alliance's
    GOV.UK Notify may send it (by email, text message or letter); otherwise email goes by SMTP."""

    def register(function: Callable) -> Callable:
        _writers[kind] = function
        if through_notify:
            _through_notify.add(kind)
        return function

    return register


def writes_batch(kind: str):
    """Register a writer for every claimed message of `kind` in a batch at once (see the module's docstring).
    The kind keeps its one-message writer (`writes`) for one message at a time."""

    def register(function: Callable) -> Callable:
        _batch_writers[kind] = function
        return function

    return register


def may_go_through_notify(kind: str) -> bool:
    return kind in _through_notify


def _guarded(message, write: Callable):
    """A writer that breaks (a bug, a row it cannot read) fails this one message, visibly to organisers,
    instead of stopping the worker on it after every lease."""
    try:
        return write()
    except (NotWanted, PermanentFailure):
        raise
    except Exception as exc:
        logger.exception("Message %s (%s) could not be written", message.id, message.kind)
        problem = f"The message could not be written ({type(exc).__name__}); the error is logged"
        raise PermanentFailure(problem) from exc


def render(message) -> RenderedEmail:
    """The message as it goes out."""
    return _guarded(message, lambda: _writers[message.kind](message))


class Batch:
    """Writes the messages of one claimed batch: a kind with a batch writer is written all at once, the first
    time one of its messages is asked for (so a batch sent through Notify still writes nothing it does not
    send); other kinds one at a time."""

    def __init__(self, messages):
        self.messages = messages
        self.written: dict[str, dict] = {}
        # Each message's result (or the exception it raised) once asked for: the worker may write a message
        # ahead of its turn (delivery/notify.py `Dispatch.prepare`) and then ask again when it sends it.
        self.results: dict = {}

    def render(self, message):
        if message.id not in self.results:
            try:
                self.results[message.id] = self._render(message)
            except Exception as exc:
                self.results[message.id] = exc
        result = self.results[message.id]
        if isinstance(result, Exception):
            raise result
        return result

    def _render(self, message):
        write_all = _batch_writers.get(message.kind)
        if write_all is None:
            return render(message)
        if message.kind not in self.written:
            of_kind = [m for m in self.messages if m.kind == message.kind]
            try:
                self.written[message.kind] = write_all(of_kind)
            except Exception:
                logger.exception("The batch writer of %s failed; writing one by one", message.kind)
                self.written[message.kind] = {}
        result = self.written[message.kind].get(message.id)
        if result is None:
            return render(message)
        if isinstance(result, Exception):
            raise result
        return result
