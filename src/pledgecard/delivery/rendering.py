"""Each kind of message says how it is written; apps register a writer for their kinds at start-up.

Messages are written when they are sent, from the rows as they are then, so a long-lived queue never
holds a stale copy of someone's words or a link that has since been revoked.
"""

import logging
from collections.abc import Callable

from pledgecard.delivery.channels import PermanentFailure, RenderedEmail

logger = logging.getLogger(__name__)

_writers: dict[str, Callable] = {}
# Kinds an alliance's GOV.UK Notify may send (its email template is plain words: no attachments).
_through_notify: set[str] = set()


class NotWanted(Exception):
    """A writer raises this when the message must no longer go (its recipient withdrew consent)."""


def writes(kind: str, *, through_notify: bool = False):
    """Register the writer of `kind`. `through_notify`: the alliance's GOV.UK Notify may send it (by email,
    text message or letter); otherwise email goes by SMTP."""

    def register(function: Callable) -> Callable:
        _writers[kind] = function
        if through_notify:
            _through_notify.add(kind)
        return function

    return register


def may_go_through_notify(kind: str) -> bool:
    return kind in _through_notify


def render(message) -> RenderedEmail:
    """The message as it goes out. A writer that breaks (a bug, a row it cannot read) fails this one message,
    visibly to organisers, instead of stopping the worker on it after every lease."""
    try:
        return _writers[message.kind](message)
    except (NotWanted, PermanentFailure):
        raise
    except Exception as exc:
        logger.exception("Message %s (%s) could not be written", message.id, message.kind)
        raise PermanentFailure(f"The message could not be written ({type(exc).__name__}); the error is logged") from exc
