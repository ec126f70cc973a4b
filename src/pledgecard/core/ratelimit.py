"""A small failure counter for guessable things (private links): after too many misses, stop answering.

Counts live in the cache, per client address. Links carry 256 bits, so guessing is hopeless anyway; the
limit keeps scanners from hammering the database and makes attempts visible in the logs.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 600
MAX_FAILURES = 20


def _key(scope: str, request) -> str:
    return f"ratelimit:{scope}:{request.META.get('REMOTE_ADDR', '')}"


def is_blocked(scope: str, request) -> bool:
    return cache.get(_key(scope, request), 0) >= MAX_FAILURES


def record_failure(scope: str, request) -> None:
    key = _key(scope, request)
    cache.add(key, 0, WINDOW_SECONDS)
    failures = cache.incr(key)
    if failures == MAX_FAILURES:
        logger.warning("Too many failed %s attempts from %s", scope, request.META.get("REMOTE_ADDR"))
