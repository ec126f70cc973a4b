"""The Jinja2 environment for our pages: NHS.UK frontend macros, Django's helpers, and form fields."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from pledgecard.core import formats
from pledgecard.core.forms import field_params
from pledgecard.core.pagecache import field_html, shared_macro
from pledgecard.core.staticfiles import static_url


def url(name, *args, **kwargs):
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name, *kwargs)
    if not args and not kwargs:
        # An address with nothing in it (the privacy page, in every footer) is the same all day: reverse() costs
        # tens of microseconds, and every page asks for it.
        if (found := _fixed_urls.get(key)) is None:
            found = _fixed_urls[key] = reverse(name)
        return found
    if not args and all(type(value) is uuid.UUID for value in kwargs.values()):
        # A postcard's own addresses differ only in its id: reversed once with stand-in ids, then each page
        # puts its own in. Every UUID reverses alike (the same 36 characters, none needing quoting), so this
        # gives what reverse() would; it was a fifth of drawing a postcard's page, which has five of them.
        if (found := _id_urls.get(key)) is None:
            stand_ins = {arg: uuid.uuid4() for arg in kwargs}
            texts = {arg: str(stand_in) for arg, stand_in in stand_ins.items()}
            found = _id_urls[key] = (reverse(name, kwargs=stand_ins), texts)
        path, stand_ins = found
        for arg, value in kwargs.items():
            path = path.replace(stand_ins[arg], str(value))
        return path
    return reverse(name, args=args or None, kwargs=kwargs or None)


_fixed_urls: dict[tuple, str] = {}
_id_urls: dict[tuple, tuple[str, dict[str, str]]] = {}


class _Environment(Environment):
    def make_globals(self, d):
        """A template's globals as one plain dict, not Jinja's ChainMap over the environment's.

        Every render copies a template's globals into its context, and every `{% from ... import %}` compares
        them with the importing page's: through a ChainMap each key is looked up map by map in Python, about
        a tenth of drawing a postcard's page (pallets/jinja#2185). All our globals are set in `environment()`
        before any template is loaded, as Jinja asks, so a copy sees exactly what the ChainMap would."""
        return {**self.globals, **(d or {})}


def environment(**options):
    # The NHS.UK macros read optional parameters as `params.a.b`; ChainableUndefined lets a missing `a` pass.
    options["undefined"] = ChainableUndefined
    # Plain-text email bodies must not be HTML-escaped; everything else is.
    options["autoescape"] = lambda name: not (name or "").endswith(".txt")
    options["loader"] = ChoiceLoader([options["loader"], PackageLoader("nhsuk_frontend_jinja")])
    options.setdefault("extensions", []).append("jinja2.ext.do")
    env = _Environment(**options)  # noqa: S701 - Django's backend turns autoescape on in `options`
    env.globals.update(
        {
            "static": static_url,
            "url": url,
            "get_messages": messages.get_messages,
            "settings": settings,
            "now": timezone.now,
            "field_params": field_params,
            "field_html": field_html,
            "shared_macro": shared_macro,
        }
    )
    env.filters.update(
        {
            "long_date": formats.long_date,
            "local_datetime": formats.local_datetime,
            "time_only": formats.time_only,
        }
    )
    return env
