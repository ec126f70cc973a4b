"""The Jinja2 environment for our pages: NHS.UK frontend macros, Django's helpers, and form fields."""

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
    if not args and not kwargs:
        # An address with nothing in it (the privacy page, in every footer) is the same all day: reverse() costs
        # tens of microseconds, and every page asks for it.
        key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name)
        if (found := _fixed_urls.get(key)) is None:
            found = _fixed_urls[key] = reverse(name)
        return found
    return reverse(name, args=args or None, kwargs=kwargs or None)


_fixed_urls: dict[tuple, str] = {}


def environment(**options):
    # The NHS.UK macros read optional parameters as `params.a.b`; ChainableUndefined lets a missing `a` pass.
    options["undefined"] = ChainableUndefined
    # Plain-text email bodies must not be HTML-escaped; everything else is.
    options["autoescape"] = lambda name: not (name or "").endswith(".txt")
    options["loader"] = ChoiceLoader([options["loader"], PackageLoader("nhsuk_frontend_jinja")])
    options.setdefault("extensions", []).append("jinja2.ext.do")
    env = Environment(**options)  # noqa: S701 - Django's backend turns autoescape on in `options`
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
