"""Each kind of message says how it is written; apps register a writer for their kinds at start-up.

Messages are written when they are sent, from the rows as they are then, so a long-lived queue never
holds a stale copy of someone's words or a link that has since been revoked.
"""

from collections.abc import Callable

from pledgecard.delivery.channels import RenderedEmail

_writers: dict[str, Callable] = {}


class NotWanted(Exception):
    """A writer raises this when the message must no longer go (its recipient withdrew consent)."""


def writes(kind: str):
    def register(function: Callable) -> Callable:
        _writers[kind] = function
        return function

    return register


def render(message) -> RenderedEmail:
    return _writers[message.kind](message)
