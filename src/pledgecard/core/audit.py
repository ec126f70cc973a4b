"""The audit log: who did what, when. Entries are written where things happen (`AuditEntry.objects.create`);
this module turns them into words for organisers, records sign-ins, and chooses what an alliance's log shows.

Sign-ins belong to a person, not to an alliance: they are stored without one and shown in the log of every
alliance the person is a member of.
"""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q

from pledgecard.core.models import AuditEntry

logger = logging.getLogger(__name__)

SIGN_IN = "account.signin"
SIGN_IN_FAILED = "account.signin_failed"
SIGN_OUT = "account.signout"


def _plural(n, word: str, plural: str | None = None) -> str:
    n = int(n or 0)
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _records(detail) -> str:
    counts = detail.get("records") or {}
    total = sum(counts.values())
    return _plural(total, "record")


def _import_counts(detail) -> str:
    words = {
        "new": "new",
        "update": "updated",
        "unchanged": "unchanged",
        "cancel": "cancelled",
        "skip": "skipped",
    }
    parts = [f"{detail[key]} {label}" for key, label in words.items() if detail.get(key)]
    return ", ".join(parts) or "nothing changed"


# action → words, from the entry's detail. Unknown actions are shown by their name (see `describe`).
WORDS = {
    "alliance.create": lambda d: f"Set up the alliance “{d.get('name', '')}”",
    "event.create": lambda d: f"Created the event {d.get('slug', '')}",
    "reminders.reschedule": lambda d: (
        f"Moved the reminders of {d.get('event', '')} to {d.get('date', '')} "
        f"({_plural(d.get('moved'), 'reminder')} moved)"
    ),
    "postcards.export": lambda d: f"Downloaded the postcards of {d.get('event', '')} (CSV)",
    "postcards.import": lambda d: (
        f"Imported {_plural(d.get('created'), 'postcard')} into {d.get('event', '')}"
    ),
    "postcards.retention": lambda d: (
        f"Removed the personal details and words of {_plural(d.get('postcards'), 'postcard')}, "
        f"{d.get('months', 12)} months after their reminders"
    ),
    "attendees.import": lambda d: (
        f"Imported attendees into {d.get('event', '')}"
        + (f" from {d['file']}" if d.get("file") else "")
        + f": {_import_counts(d)}"
    ),
    "attendees.export": lambda d: (
        f"Downloaded the attendees of {d.get('event', '')} ({str(d.get('format', '')).upper()}, "
        f"{_plural(d.get('rows'), 'row')})" + (" from the command line" if d.get("by") == "cli" else "")
    ),
    "print.badges": lambda d: (
        f"Printed badges for {_plural(d.get('people'), 'person', 'people')} at {d.get('event', '')}"
    ),
    "print.postcards": lambda d: (
        f"Printed postcards for {_plural(d.get('people'), 'person', 'people')} at {d.get('event', '')}"
    ),
    "reminder.fallback": lambda d: (
        ("Automatically sent" if d.get("automatic") else "Sent")
        + f" a failed reminder again by {d.get('channel', '')}"
    ),
    "notify.settings": lambda d: (
        "Changed the GOV.UK Notify settings"
        + (f" (new API key ending {d.get('key_ending')})" if d.get("new_key") else "")
    ),
    "notify.removed": lambda d: "Stopped using GOV.UK Notify",
    "registration.settings": lambda d: f"Changed the registration settings of {d.get('event', '')}",
    "people.export": lambda d: (
        f"Exported everything held about a person ({_records(d)})"
        if _records(d) != "0 records"
        else "Looked for a person's data to export: nothing was held"
    ),
    "people.erase": lambda d: (
        f"Erased a person ({_records(d)} deleted or anonymised)"
        if _records(d) != "0 records"
        else "Asked to erase a person: nothing was held"
    ),
    # Insights (the insights app writes these).
    "insights.theme_words": lambda d: (
        f"Changed the words that suggest themes ({_plural(d.get('themes_with_words'), 'theme')} with words)"
    ),
    "insights.impact_page": lambda d: (
        "Turned the public impact page on" if d.get("public") else "Turned the public impact page off"
    ),
    # Resources, short links, stories and the pledge wall (their apps write these).
    "links.add": lambda d: f"Made the short link /go/{d.get('code', '')} to {d.get('url', '')}",
    "resources.add": lambda d: f"Added the resource “{d.get('title', '')}”",
    "resources.change": lambda d: (
        f"Changed the resource “{d.get('title', '')}”" + (f" ({d['version']})" if d.get("version") else "")
    ),
    "resources.archive": lambda d: f"Stopped showing the resource “{d.get('title', '')}”",
    "resources.restore": lambda d: f"Showed the resource “{d.get('title', '')}” again",
    "stories.publish": lambda d: "Published a story",
    "stories.return": lambda d: "Returned a story to its author with a note",
    "stories.reject": lambda d: "Decided not to publish a story (or took it down)",
    "wall.settings": lambda d: (
        "Pledge walls now publish first and moderate after"
        if d.get("publish_first")
        else "Pledge walls now wait for an organiser's approval"
    ),
    "wall.publish": lambda d: (
        f"Published {_plural(d.get('postcards'), 'pledge')} on the wall of {d.get('event', '')}"
    ),
    "wall.hide": lambda d: f"Hid {_plural(d.get('postcards'), 'pledge')} on the wall of {d.get('event', '')}",
    SIGN_IN: lambda d: "Signed in",
    SIGN_IN_FAILED: lambda d: "A sign-in with this account's email address failed (wrong password or code)",
    SIGN_OUT: lambda d: "Signed out",
}


def describe(entry: AuditEntry) -> str:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    words = WORDS.get(entry.action)
    if words is None:
        return entry.action
    try:
        text = words(detail)
    except (TypeError, ValueError, AttributeError):  # an old entry with another shape: still show something
        text = entry.action
    if detail.get("by") == "cli" and "command line" not in text:
        text += " (command line)"
    return text


def actor_words(entry: AuditEntry) -> str:
    if entry.actor is None:
        return "the command line" if (entry.detail or {}).get("by") == "cli" else "Pledgecard (automatic)"
    return entry.actor.email or entry.actor.get_username()


def entries_for(alliance):
    """What an alliance's log shows: its own entries, and the sign-ins of its members."""
    members = Q(alliance__isnull=True, action__startswith="account.", actor__memberships__alliance=alliance)
    return (
        AuditEntry.objects.filter(Q(alliance=alliance) | members)
        .select_related("actor")
        .distinct()
        .order_by("-at", "-pk")
    )


# --- Sign-ins (Django's signals, which allauth sends too) -----------------------------------------------


def _address(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:45]


def _signed_in(sender, request, user, **kwargs):
    AuditEntry.objects.create(actor=user, action=SIGN_IN, detail={"ip": _address(request)})


def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        AuditEntry.objects.create(actor=user, action=SIGN_OUT, detail={"ip": _address(request)})


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    """A failed sign-in is recorded against the account it named, if there is one. Attempts that name no
    account are not stored: they would put whatever an attacker typed into the log (rate limits deal with
    them)."""
    from django.contrib.auth import get_user_model

    login = str(credentials.get("email") or credentials.get("username") or credentials.get("login") or "")
    if not login or "\x00" in login:
        return
    user = get_user_model().objects.filter(email__iexact=login[:254]).first()
    if user is not None:
        AuditEntry.objects.create(actor=user, action=SIGN_IN_FAILED, detail={"ip": _address(request)})


def connect_signals() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="pledgecard-audit-signin")
    user_logged_out.connect(_signed_out, dispatch_uid="pledgecard-audit-signout")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="pledgecard-audit-signin-failed")
