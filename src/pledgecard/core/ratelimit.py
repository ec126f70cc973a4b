"""Limits on failed attempts at guessable things (private links): after too many misses, say so and stop.

- Shared: counts live in the database (`RateCounter`), so every web process sees the same count, and an
  atomic `UPDATE ... SET count = count + 1` keeps them right when requests race.
- Keyed by the client's address as the last trusted proxy saw it (`PLEDGECARD_TRUSTED_PROXY_COUNT`), and by
  failures only: a right link always opens. Behind one NAT or proxy (every NHS site) the whole building has
  one address; one person's mistyped links must never lock out a colleague whose link is right.
Links carry 256 bits, so guessing is hopeless anyway; the limit keeps scanners from hammering the database
and makes attempts visible in the logs.
"""

import hashlib
import hmac
import ipaddress
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from pledgecard.core.models import RateCounter

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 600
MAX_FAILURES = 20


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the address the last trusted proxy put in X-Forwarded-For."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.PLEDGECARD_TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "unknown"


def _client_key(request) -> str:
    # A keyed hash: the table says "this client", never who it is.
    return hmac.new(settings.SECRET_KEY.encode(), client_address(request).encode(), hashlib.sha256).hexdigest()


def _window(now: float | None = None) -> int:
    return int((now or time.time()) // WINDOW_SECONDS)


def failures(scope: str, request) -> int:
    row = RateCounter.objects.filter(scope=scope, client=_client_key(request), window=_window()).first()
    return row.count if row else 0


def is_blocked(scope: str, request) -> bool:
    return failures(scope, request) >= MAX_FAILURES


def record_failure(scope: str, request) -> int:
    """Count one failure; returns the client's failures in this window (this one included)."""
    key, window = _client_key(request), _window()
    for _ in range(3):
        counter = RateCounter.objects.filter(scope=scope, client=key, window=window)
        if counter.update(count=F("count") + 1):
            break
        try:
            with transaction.atomic():
                RateCounter.objects.create(scope=scope, client=key, window=window, count=1)
            break
        except IntegrityError:
            continue  # another process counted this client's first failure at the same moment
    count = RateCounter.objects.filter(scope=scope, client=key, window=window).values_list("count", flat=True)
    count = count.first() or 1
    if count == MAX_FAILURES:
        logger.warning("Too many failed %s attempts from %s", scope, client_address(request))
    return count


def counters_prune() -> int:
    """Periodic: forget windows that have ended."""
    return RateCounter.objects.filter(window__lt=_window() - 1).delete()[0]
