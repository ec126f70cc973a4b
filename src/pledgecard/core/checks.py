"""Deployment checks of our own, run by `pledgecard check --deploy` beside Django's."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


def _is_local(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_private or address.is_link_local


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    """Emailed links, letters and QR codes are made from SITE_URL, with no request to ask: in production it
    must be the public https address, or every reminder would point people at this machine."""
    parts = urlsplit(settings.SITE_URL)
    problems = []
    if _is_local(parts.hostname or ""):
        problems.append(Error(
            f"SITE_URL is {settings.SITE_URL!r}: links in emails, letters and QR codes would point at this "
            "machine, not at the site people can reach.",
            hint="Set SITE_URL to the public address, e.g. https://pledgecard.example.org",
            id="pledgecard.E001",
        ))
    elif parts.scheme != "https":
        problems.append(Error(
            f"SITE_URL is {settings.SITE_URL!r}: links in emails and letters must use https.",
            hint="Set SITE_URL to the https address of the site.",
            id="pledgecard.E002",
        ))
    return problems
