"""Public pages drawn once per process and shared by every visitor who would see exactly the same page.

Drawing the postcard form through the NHS.UK frontend macros took about 15 ms; looking it up takes a few
hundred microseconds. Only pages that show the same thing to everyone are shared (the postcard form, the event
page with its registration form, the pledge wall), and only to visitors who are not signed in and have no
message waiting. Three rules make it safe:

1. The key is a fingerprint of everything the template is given (`fingerprint`): each row's loaded fields and
   its related rows, each query's rows, each form field's parameters. An edit made by any process (an
   organiser's new title, a moderator publishing a card, a new theme, a place taken) changes the key, so a
   stale page is never served and nothing has to be told to forget one.
2. The page is drawn from a stand-in request that holds nobody's data: not signed in, no messages, and in
   place of the CSRF token and the CSP nonce two markers that each response replaces with its own. Reading
   anything else of the request while drawing a shared page is an error, not a silent blank.
3. Bounded: at most `MAX_PAGES` pages a process, none kept longer than `MAX_AGE_SECONDS`, so words that were
   changed or erased do not stay in memory for long either.

Bound forms (a POST with its errors) and everything signed-in people see are drawn as usual.

Pages that differ per visitor (a postcard's own page) still share their parts that do not: `shared_macro`
keeps an NHS.UK macro's HTML by the macro and its parameters, for calls whose parameters hold nobody's words
(a blank form field, a button, the footer). Those macros see nothing but their parameters, so the HTML is a
function of the key alone: another page can only find it by asking for exactly the same thing.
"""

import dataclasses
import datetime as dt
import decimal
import hashlib
import secrets
import threading
import time
import uuid
from collections import OrderedDict

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.db import models
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from markupsafe import Markup

from pledgecard.core.forms import field_params

MAX_PAGES = 256
MAX_FRAGMENTS = 2048
MAX_AGE_SECONDS = 300.0

# Random per process, letters and digits only (nothing HTML escaping would change), so no visitor's words can
# contain a marker that would then be replaced by someone's token.
CSRF_MARK = "pagecache-csrf-" + secrets.token_hex(12)
NONCE_MARK = "pagecache-nonce-" + secrets.token_hex(12)


class SharedPageError(RuntimeError):
    """A shared page's template asked for something of the request that would differ between visitors."""


class SharedRequest:
    """All a shared page may know of the request: an anonymous visitor, no messages, marked secrets."""

    user = AnonymousUser()
    csp_nonce = NONCE_MARK
    _messages = ()

    def __getattr__(self, name):
        raise SharedPageError(f"a shared page cannot show request.{name}: it differs between visitors")


class _Drawn:
    """A small LRU of drawn HTML with an age limit, shared by the threads of one process."""

    def __init__(self, max_entries):
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, max_age=None):
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if time.monotonic() - found[0] > (MAX_AGE_SECONDS if max_age is None else max_age):
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1]

    def put(self, key, html):
        with self._lock:
            self._pages[key] = (time.monotonic(), html)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def clear(self):
        with self._lock:
            self._pages.clear()

    def __len__(self):
        return len(self._pages)


pages = _Drawn(MAX_PAGES)
fragments = _Drawn(MAX_FRAGMENTS)
_checked = _Drawn(MAX_PAGES)  # (view and arguments, language) -> (the key of its page, status), when checked
_values = _Drawn(MAX_PAGES)  # recent_value's plain values


# Values whose repr() says all there is to them (exact types: a subclass of str could be safe HTML).
_AS_THEY_ARE = frozenset({
    type(None), bool, int, float, str, decimal.Decimal, uuid.UUID,
    dt.date, dt.time, dt.datetime, dt.timedelta,
})
_attnames: dict[type, tuple[str, ...]] = {}


def _row(value, seen):
    marker = (type(value).__name__, value.pk)
    if id(value) in seen:
        return marker
    seen.add(id(value))
    names = _attnames.get(type(value))
    if names is None:
        names = _attnames[type(value)] = tuple(f.attname for f in value._meta.concrete_fields)
    loaded = value.__dict__  # deferred fields are not in it, and are not read (that would be a query each)
    fields = tuple(
        (name, v if type(v) in _AS_THEY_ARE else _parts(v, seen))
        for name in names
        if name in loaded
        for v in (loaded[name],)
    )
    # Rows fetched with it (select_related, prefetch_related) are part of what the page can show.
    related = tuple((name, _parts(row, seen)) for name, row in sorted(value._state.fields_cache.items()))
    prefetched = getattr(value, "_prefetched_objects_cache", {})
    prefetched = tuple((name, _parts(list(rows), seen)) for name, rows in sorted(prefetched.items()))
    return (marker, fields, related, prefetched)


def _parts(value, seen):
    """A nested tuple of plain values standing for `value`, for the fingerprint."""
    if type(value) in _AS_THEY_ARE:
        return value
    if isinstance(value, models.Model):
        return _row(value, seen)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Markup):
        return ("markup", str(value))
    if isinstance(value, models.QuerySet):
        return ("rows", tuple(_parts(row, seen) for row in value))  # evaluated once: the page reuses the rows
    if isinstance(value, forms.BaseForm):
        if value.is_bound:
            raise ValueError("a bound form holds a visitor's words: draw it with render(), not shared")
        return (type(value).__name__, tuple(_parts(field_params(bound)[1], seen) for bound in value))
    if isinstance(value, list | tuple):
        return tuple(_parts(item, seen) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _parts(v, seen)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (type(value).__name__, tuple(_parts(getattr(value, f.name), seen) for f in fields))
    if isinstance(value, str):  # another kind of text (Django's SafeString): marked as such
        return (type(value).__name__, str(value))
    raise TypeError(f"cannot fingerprint a {type(value).__name__} for a shared page: give it plain values")


def fingerprint(context: dict) -> str:
    """A digest of everything a template is given: equal digests, equal pages."""
    return hashlib.blake2b(repr(_parts(context, set())).encode(), digest_size=20).hexdigest()


def shareable(request) -> bool:
    """Whether this visitor would see the page everyone sees: a GET from someone not signed in, no message."""
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and len(get_messages(request)) == 0
    )


def _draw(template_name, context) -> str:
    context = {
        **context,
        "request": SharedRequest(),
        "csrf_input": mark_safe(f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_MARK}">'),  # noqa: S308 - fixed markup
        "csrf_token": CSRF_MARK,
    }
    # The Jinja template itself: Django's wrapper would put the real request and its token in the context.
    return get_template(template_name).template.render(context)


def render_shared(request, template_name, context, *, status=200, name=None) -> HttpResponse:
    """`render()`, but drawn once for everyone who would see the same page (see the module's docstring).

    `name` (the view and its arguments) lets `recent` serve this page again without the view's queries, for
    PLEDGECARD_PAGE_RECHECK_SECONDS.
    """
    if not shareable(request):
        return render(request, template_name, context, status=status)
    key = (template_name, get_language(), fingerprint(context))
    html = pages.get(key)
    if html is None:
        html = _draw(template_name, context)
        pages.put(key, html)
    if name is not None:
        _checked.put((name, get_language()), (key, status))
    return _respond(request, html, status)


def recent(request, name) -> HttpResponse | None:
    """The shared page last drawn or checked for `name`, if that was less than the recheck time ago.

    At an event a hundred phones ask for the same form within minutes: within PLEDGECARD_PAGE_RECHECK_SECONDS
    (1 s by default; 0 checks every time) of the last check they get the page without its queries, so an
    organiser's change reaches visitors at most that long after it is made. Signed-in people, visitors with a
    message waiting, and every POST always get the page drawn for them.
    """
    window = settings.PLEDGECARD_PAGE_RECHECK_SECONDS
    if window <= 0 or not shareable(request):
        return None
    found = _checked.get((name, get_language()), max_age=window)
    html = pages.get(found[0]) if found else None
    if html is None:
        return None
    return _respond(request, html, found[1])


def recent_value(name, compute):
    """`compute()`, or what it gave for `name` less than PLEDGECARD_PAGE_RECHECK_SECONDS ago.

    For public lists a per-person page shows (an alliance's resources on a postcard's page), held as plain
    values: the same window as the shared pages, so a change shows within it there too.
    """
    window = settings.PLEDGECARD_PAGE_RECHECK_SECONDS
    if window <= 0:
        return compute()
    found = _values.get(name, max_age=window)
    if found is None:
        found = (compute(),)
        _values.put(name, found)
    return found[0]


def _respond(request, html, status) -> HttpResponse:
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))  # get_token also sets the CSRF cookie
    return HttpResponse(html.replace(NONCE_MARK, request.csp_nonce), status=status)


_PLAIN_PARAMS = frozenset({type(None), bool, int, float, str})


def _canonical(value):
    """Macro parameters as a hashable key. Safe HTML (Markup, Django's SafeString: anything with `__html__`)
    is told apart from text, which the macro would escape. Plain values are looked up by exact type first:
    most parameters are text, and this runs for every parameter of every shared macro on every page."""
    if type(value) in _PLAIN_PARAMS:
        return value
    if hasattr(value, "__html__"):
        return ("markup", str(value.__html__()))
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, bool | int | float | str):  # a subclass of a plain value, such as a choice
        return value
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _canonical(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("list", tuple(map(_canonical, value)))
    raise TypeError(type(value).__name__)


def shared_macro(macro, params) -> Markup:
    """`macro(params)`, drawn once per process for each distinct `params` (see the module's docstring).

    Only for parameters that hold nobody's words: a blank field, a button, the footer.
    """
    try:
        key = (macro._func.__code__.co_filename, macro.name, _canonical(params))
    except TypeError:  # something that is not plain data: draw it as usual
        return macro(params)
    html = fragments.get(key)
    if html is None:
        html = macro(params)
        fragments.put(key, html)
    return html


def field_html(macro, params, bound_field) -> Markup:
    """A form field drawn by its NHS.UK macro; a blank one holding nobody's words is drawn once per process.

    Shared only when the form is unbound and has no initial value for the field: an initial value given to
    the form (a person's earlier answer) is theirs.
    """
    form = bound_field.form
    if form.is_bound or bound_field.name in form.initial:
        return macro(params)
    return shared_macro(macro, params)
