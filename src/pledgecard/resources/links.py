"""The rules of short links that need no database: codes, allowed targets, and which requests are people.

Plain Python (no Django), so they are easy to test on their own.
"""

import re
import secrets
from urllib.parse import urlsplit

# Codes we make: lower case letters and digits without the ones people mix up (0/O, 1/l/I). Codes are
# case-insensitive, so "K" and "k" are one. Six of 31 characters: 887 million codes.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
GENERATED_LENGTH = 6
# Codes organisers choose: letters, digits, hyphens and underscores, like bit.ly's.
CHOSEN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
# Words that would make an address look like one of our own pages.
RESERVED = {"admin", "organise", "accounts", "static", "assets", "go", "new", "api"}
ALLOWED_SCHEMES = ("http", "https")


class LinkRefused(ValueError):
    """Said to the organiser, beside the field."""


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))


def check_code(code: str) -> str:
    code = (code or "").strip()
    if not CHOSEN_CODE.fullmatch(code):
        raise LinkRefused(
            "A code may have letters, digits, hyphens (-) and underscores (_), up to 40 characters, "
            "starting with a letter or digit"
        )
    if code.lower() in RESERVED:
        raise LinkRefused(f"“{code}” is kept for the site itself. Choose another code")
    return code


def check_target(url: str) -> str:
    """An http or https address with a host, exactly as given; anything else (javascript:, data:, file:, ...)
    is refused. Spaces and control characters are refused too: browsers drop some of them, so "java\\tscript:"
    would be read as "javascript:"."""
    url = (url or "").strip()
    if not url:
        raise LinkRefused("Enter the web address the short link opens")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise LinkRefused("The web address must not contain spaces or line breaks")
    if "://" not in url and re.match(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:/|$)", url):
        url = "https://" + url  # "www.bit.ly/x", as people write it on slides
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError as exc:
        raise LinkRefused("Enter a web address that starts with https://") from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise LinkRefused(
            "A short link can only open a web page (an address starting with https:// or http://)"
        )
    if not host or "\\" in url or parts.username or parts.password:
        raise LinkRefused("Enter a web address that starts with https://, like https://www.example.org/page")
    return url


# --- Which requests are people ------------------------------------------------------------------------------

# Link checkers that open every link in an email or a chat before anyone clicks it: Microsoft Safe Links and
# Defender, other mail filters, link previews of chat and social apps, and search engines' robots.
SCANNER_AGENTS = re.compile(
    r"safelinks|safe links|microsoft office|ms-office|office365|defender|msoffice|bingpreview|bingbot"
    r"|proofpoint|mimecast|barracuda|symantec|messagelabs|forcepoint|trend ?micro|sophos|fortiguard|cisco"
    r"|ironport|zscaler|appriver|checkpoint|avanan|abnormal|paloalto"
    r"|slackbot|twitterbot|facebookexternalhit|linkedinbot|whatsapp|telegrambot|discordbot|skypeuripreview"
    r"|googlebot|google-safety|applebot|yandex|duckduckbot|baiduspider|embedly|iframely"
    r"|(?<!cu)bot\b|crawler|spider|preview|scanner|headless|python-requests|python-urllib|go-http-client"
    r"|curl/|wget/|libwww|httpclient|okhttp|java/",
    re.IGNORECASE,
)


def counts_as_click(method: str, headers: dict) -> bool:
    """A GET from a person's browser. Not HEAD, not a prefetch or prerender, not a known link scanner."""
    if method != "GET":
        return False
    purpose = " ".join(headers.get(h, "") for h in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")).lower()
    if "prefetch" in purpose or "prerender" in purpose or "preview" in purpose:
        return False
    agent = headers.get("User-Agent", "")
    return bool(agent.strip()) and SCANNER_AGENTS.search(agent) is None
