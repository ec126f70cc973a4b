"""What this browser may open without an account: rows it reached through their private link.

Opening a private link only records, in the browser's session, that it may see that one row, then redirects to
an address without the token (so the token never travels on in a Referer header). Nothing else changes on GET:
mail scanners that open links change nothing.
"""

from django.http import Http404


def remember(request, kind: str, public_id) -> None:
    key = f"may_open_{kind}"
    allowed = set(request.session.get(key, []))
    allowed.add(str(public_id))
    request.session[key] = sorted(allowed)


def allowed(request, kind: str, public_id) -> bool:
    return str(public_id) in request.session.get(f"may_open_{kind}", [])


def check(request, kind: str, public_id) -> None:
    if not allowed(request, kind, public_id):
        raise Http404("Open this page from the link in your email.")
