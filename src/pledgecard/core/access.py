"""What this browser may open without an account: rows it reached through their private link.

Opening a private link only records that this browser may see that one row, then redirects to an address
without the token (so the token never travels on in a Referer header). Nothing else changes on GET: mail
scanners that open links change nothing.

The record is a signed cookie of its own (`COOKIE`), not the session. An attendee then never has a session row:
writing a postcard used to create one (a check that the new key was free, an INSERT, a transaction) and every
page after read it back, about a third of the database work of a whole submission. The cookie is signed with
SECRET_KEY (it cannot be made or changed outside the server), says nothing a visitor does not already have
(the public ids are in the addresses of their own pages), and expires like a session would.
"""

from django.conf import settings
from django.core import signing
from django.http import Http404

COOKIE = "pledgecard_access"
SALT = "pledgecard.core.access"
# The newest kept for each kind of row, so the cookie stays far below the 4 KB a browser keeps of one.
MAX_PER_KIND = 20


def _grants(request) -> dict[str, list[str]]:
    """The rows this browser may open, by kind, read from its cookie once per request."""
    if not hasattr(request, "_pledgecard_access"):
        grants = {}
        if raw := request.COOKIES.get(COOKIE):
            try:
                grants = signing.loads(raw, salt=SALT, max_age=settings.SESSION_COOKIE_AGE)
            except signing.BadSignature:  # forged, damaged or expired: as if there were none
                grants = {}
        if not isinstance(grants, dict):
            grants = {}
        request._pledgecard_access = {k: v for k, v in grants.items() if isinstance(v, list)}
    return request._pledgecard_access


def remember(request, kind: str, public_id) -> None:
    grants = _grants(request)
    kept = [row for row in grants.get(kind, []) if row != str(public_id)]
    grants[kind] = [*kept, str(public_id)][-MAX_PER_KIND:]
    request._pledgecard_access_changed = True


def allowed(request, kind: str, public_id) -> bool:
    if str(public_id) in _grants(request).get(kind, []):
        return True
    # Until SESSION_COOKIE_AGE has passed since this cookie replaced them, a browser may still hold a grant
    # in its session; only a browser that sent a session cookie is asked (no query for anyone else).
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return str(public_id) in request.session.get(f"may_open_{kind}", [])
    return False


def check(request, kind: str, public_id) -> None:
    if not allowed(request, kind, public_id):
        raise Http404("Open this page from the link in your email.")


class AccessCookieMiddleware:
    """Writes the cookie on the response of a request that remembered a row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "_pledgecard_access_changed", False):
            response.set_cookie(
                COOKIE,
                signing.dumps(request._pledgecard_access, salt=SALT, compress=True),
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
