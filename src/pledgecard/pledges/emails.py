"""How postcard messages are written. Registered by kind; the delivery worker calls them at send time."""

import re
from types import SimpleNamespace

from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string
from django.urls import reverse
from markupsafe import escape

from pledgecard.core import tokens
from pledgecard.delivery import postal
from pledgecard.delivery.channels import PermanentFailure, RenderedEmail, RenderedLetter, RenderedText
from pledgecard.delivery.models import Message
from pledgecard.delivery.rendering import NotWanted, writes, writes_batch
from pledgecard.delivery.services import messages_about, subject_pk
from pledgecard.events.models import Event
from pledgecard.pledges.models import Postcard
from pledgecard.resources.selectors import resources_for, resources_for_themes

REMINDER_SUBJECT = "Your postcard is back: how did it go?"
NOT_WANTED = "The writer asked not to get it back."


def _postcard(message) -> Postcard:
    """The postcard as it is now (its subject names it), with what the words need in the same query."""
    postcards = Postcard.objects.select_related("event__alliance", "sector", "theme")
    return postcards.get(pk=subject_pk(message.subject))


def _links(postcard) -> dict:
    link = settings.SITE_URL + reverse("pledges:link", kwargs={"token": postcard.token})
    return {"postcard_url": link, "stop_url": link + "?next=stop"}


def _rendered(message, postcard, event, subject: str, text: str, html: str, links: dict) -> RenderedEmail:
    return RenderedEmail(
        to=message.to_address,
        subject=subject,
        text=text,
        html=html,
        headers={
            "Reply-To": event.alliance.contact_email,
            # One-click unsubscribe would act on a GET from a mail scanner; the link asks for a button press.
            "List-Unsubscribe": f"<{links['stop_url']}>",
        },
        # For a GOV.UK Notify email template: ((subject)) and ((body)) are the whole email; the rest are there
        # for organisers who write their own template.
        personalisation={"first_name": postcard.first_name, "event": event.title,
                         "link": links["postcard_url"], "stop_link": links["stop_url"]},
    )


def _email(message, postcard: Postcard, template: str, subject: str, **extra) -> RenderedEmail:
    links = _links(postcard)
    context = {
        **extra,
        "postcard": postcard,
        "event": postcard.event,
        "alliance": postcard.event.alliance,
        **links,
    }
    if template == "confirmation":  # says when the reminder comes back
        context["reminder"] = messages_about(postcard).filter(kind=Message.Kind.POSTCARD_REMINDER).first()
    text = render_to_string(f"pledges/email/{template}.txt", context)
    html = render_to_string(f"pledges/email/{template}.html", context)
    return _rendered(message, postcard, postcard.event, subject, text, html, links)


def sms_text(postcard) -> str:
    """Short, with the link, and nothing personal but the first name: a text can be read on a locked phone.

    One message (160 characters) when it fits; the event's name is shortened, then left out, to make it fit.
    """
    link = _links(postcard)["postcard_url"]
    first_name = postal.sms_safe(postcard.first_name)[:20]
    title = postal.sms_safe(postcard.event.title)
    for name in (title, *(title[:n].rstrip() + "..." for n in (40, 25)), None):
        where = f" from {name}" if name else ""
        text = f"Hi {first_name}, your postcard{where} is back. How did it go? {link}"
        if postal.sms_parts(text) == 1:
            return text
    return text


def _text(message, postcard: Postcard) -> RenderedText:
    try:
        phone = postal.phone_normalise(postcard.phone)
    except postal.InvalidRecipient as problem:
        raise PermanentFailure(
            f"The mobile number cannot get text messages: {problem}. Ask for a new number."
        ) from problem
    body = sms_text(postcard)
    return RenderedText(to=phone, body=body,
                        personalisation={"first_name": postcard.first_name, "link": _links(postcard)["postcard_url"]})


def _letter(message, postcard: Postcard) -> RenderedLetter:
    from pledgecard.pledges.letters import LetterProblem, postcard_letter

    try:
        letter = postcard_letter(postcard)
    except LetterProblem as problem:
        raise PermanentFailure(f"{problem} Ask for a new address.") from problem
    return RenderedLetter(address_lines=letter.address, pdf=letter.pdf)


@writes(Message.Kind.POSTCARD_CONFIRMATION)
def confirmation(message) -> RenderedEmail:
    postcard = _postcard(message)
    return _email(message, postcard, "confirmation", f"Your postcard from {postcard.event.title}")


@writes("postcard_link_again")
def link_again(message) -> RenderedEmail:
    postcard = _postcard(message)
    return _email(message, postcard, "confirmation", f"The link to your postcard from {postcard.event.title}")


@writes(Message.Kind.POSTCARD_REMINDER, through_notify=True)
def reminder(message) -> RenderedEmail:
    # Withdrawal cancels pending reminders, but not one a worker holds: that one could come back for a retry
    # (or to another worker after a crash). Checked here, at send time, from the row as it is now.
    # The phone number and address too, as they are now: the writer may have changed them since.
    postcard = _postcard(message)
    if not postcard.wants_reminder:
        raise NotWanted(NOT_WANTED)
    if message.channel == Message.Channel.SMS:
        return _text(message, postcard)
    if message.channel == Message.Channel.LETTER:
        return _letter(message, postcard)
    return _email(message, postcard, "reminder", REMINDER_SUBJECT, resources_heading="What you can do next",
                  resources=resources_for(postcard.event.alliance, theme=postcard.theme_id))


# What differs between two reminders of one event and theme, as markers in a copy written once for them all.
# NUL never reaches a postcard's words (the middleware refuses it); words that hold one anyway are written
# one at a time.
_MARKERS = {"first_name": "\x00F\x00", "name": "\x00N\x00", "learnt": "\x00L\x00", "commitment": "\x00C\x00"}
_LINK_MARKER = "\x00T\x00"


_MARKED = re.compile("(" + "|".join(map(re.escape, [*_MARKERS.values(), _LINK_MARKER])) + ")")
_FIELD_OF = {marker: field for field, marker in _MARKERS.items()} | {_LINK_MARKER: "token"}


def _pieces(skeleton: str) -> list:
    """The copy written for an event and theme, cut at its markers once: its text, and where each writer's
    words go (by field name), in order."""
    pieces = _MARKED.split(skeleton)
    pieces[1::2] = [_FIELD_OF[marker] for marker in pieces[1::2]]
    return pieces


def _filled(pieces: list, values: dict) -> str:
    """The copy with one writer's words and link where the markers were (`values` by field name)."""
    filled = pieces.copy()
    filled[1::2] = [values[field] for field in pieces[1::2]]
    return "".join(filled)


def _html_values(values: dict) -> dict:
    """The words as the template writes them in HTML: escaped, the words' line breaks as <br>. The link's
    token goes in as it is (the template puts it in a URL it builds itself)."""
    escaped = {field: str(escape(value)) if field != "token" else value for field, value in values.items()}
    for field in ("learnt", "commitment"):
        escaped[field] = escaped[field].replace("\n", "<br>")
    return escaped


@writes_batch(Message.Kind.POSTCARD_REMINDER)
def reminders(messages) -> dict:
    """A reminder day's batch at once, with what `reminder` writes for each: the postcards as they are now in
    one query of plain rows, each event and each alliance's resources once, and the email written once for
    each event and theme, with markers where each writer's words and link go.
    Text messages and letters are left to `reminder` (one at a time: Notify's rate limit sets their pace)."""
    wanted: dict[int, list] = {}
    for message in messages:
        wanted.setdefault(subject_pk(message.subject), []).append(message)
    rows = list(
        Postcard.objects.filter(pk__in=wanted).values(
            "pk", "name", "learnt", "commitment", "theme_id", "theme__name", "event_id", "link_id",
            "wants_reminder",
        )
    )
    events = Event.objects.filter(pk__in={r["event_id"] for r in rows}).select_related("alliance")
    events = {event.pk: event for event in events}
    env = engines["jinja2"].env
    text_template = env.get_template("pledges/email/reminder.txt")
    html_template = env.get_template("pledges/email/reminder.html")
    # The private link is the same URL for everyone but the token.
    any_link = settings.SITE_URL + reverse("pledges:link", kwargs={"token": "T" * 43})
    link_prefix, link_suffix = any_link.split("T" * 43)
    themes = {row["theme_id"] for row in rows}
    resources: dict[int, dict] = {}  # alliance -> theme -> what the email shows
    skeletons: dict[tuple, tuple] = {}  # (event, theme) -> (text, html) with markers
    written = {}
    for row in rows:
        event = events[row["event_id"]]
        names = row["name"].split()
        values = {"name": row["name"], "first_name": names[0] if names else row["name"],
                  "learnt": row["learnt"], "commitment": row["commitment"]}
        if any("\x00" in value for value in values.values()):
            continue
        token = tokens.token_for(Postcard.LINK_PURPOSE, row["link_id"])
        link = link_prefix + token + link_suffix
        links = {"postcard_url": link, "stop_url": link + "?next=stop"}
        key = (event.pk, row["theme_id"])
        if key not in skeletons:
            if event.alliance_id not in resources:
                resources[event.alliance_id] = resources_for_themes(event.alliance, themes)
            marked = SimpleNamespace(
                **_MARKERS, theme=SimpleNamespace(name=row["theme__name"]) if row["theme_id"] else None
            )
            marked_link = link_prefix + _LINK_MARKER + link_suffix
            context = {
                "resources_heading": "What you can do next", "postcard": marked,
                "resources": resources[event.alliance_id][row["theme_id"]], "event": event,
                "alliance": event.alliance, "postcard_url": marked_link,
                "stop_url": marked_link + "?next=stop",
            }
            skeletons[key] = (_pieces(text_template.render(context)), _pieces(html_template.render(context)))
        text, html = skeletons[key]
        values["token"] = token
        writer = SimpleNamespace(first_name=values["first_name"])
        for message in wanted[row["pk"]]:
            if not row["wants_reminder"]:
                written[message.id] = NotWanted(NOT_WANTED)
            elif message.channel == Message.Channel.EMAIL:
                written[message.id] = _rendered(
                    message, writer, event, REMINDER_SUBJECT, _filled(text, values),
                    _filled(html, _html_values(values)), links,
                )
    return written
