"""How registration messages are written (confirmation with calendar file and QR code, waiting list, offers,
cancellation, workshop agenda). Written at send time from the registration as it is then."""

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from pledgecard.core import formats
from pledgecard.delivery.channels import RenderedEmail
from pledgecard.delivery.models import Message
from pledgecard.delivery.rendering import NotWanted, writes
from pledgecard.delivery.services import subject_pk
from pledgecard.events import calendar
from pledgecard.events.models import Registration
from pledgecard.resources.selectors import resources_for

Kind = Message.Kind


def registration_of(message) -> Registration:
    """The registration a message is about (its subject names it), as it is now; read once per message."""
    if getattr(message, "_registration", None) is None:
        message._registration = Registration.objects.select_related("event__alliance").get(
            pk=subject_pk(message.subject)
        )
    return message._registration


def personal_link(registration) -> str:
    return settings.SITE_URL + reverse("events:link", kwargs={"token": registration.token})


def qr_png(url: str) -> bytes:
    import io

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def _email(message, template: str, subject: str, **extra) -> RenderedEmail:
    registration = registration_of(message)
    event = registration.event
    link = personal_link(registration)
    context = {"registration": registration, "event": event, "alliance": event.alliance, "link": link,
               "offer_until": formats.local_datetime(registration.offer_expires_at, event.time_zone), **extra}
    return RenderedEmail(
        to=message.to_address,
        subject=subject,
        text=render_to_string(f"events/email/{template}.txt", context),
        html=render_to_string(f"events/email/{template}.html", context),
        headers={"Reply-To": event.alliance.contact_email},
        attachments=extra.get("attachments", ()),
    )


@writes(Kind.REGISTRATION_CONFIRMATION)
def confirmation(message) -> RenderedEmail:
    registration = registration_of(message)
    if registration.status != "confirmed":
        raise NotWanted("The registration is no longer confirmed.")
    link = personal_link(registration)
    attachments = (
        ("event.ics", calendar.registration_ics(registration, link).decode(), "text/calendar"),
        ("your-qr-code.png", qr_png(link), "image/png"),
    )
    return _email(message, "confirmation", f"You are registered: {registration.event.title}", attachments=attachments,
                  resources=resources_for(registration.event.alliance))


@writes(Kind.WAITING_LIST)
def waiting(message) -> RenderedEmail:
    return _email(message, "waiting", f"You are on the waiting list: {registration_of(message).event.title}")


@writes(Kind.PLACE_OFFERED)
def offered(message) -> RenderedEmail:
    registration = registration_of(message)
    if registration.status != "offered":
        raise NotWanted("The offer is no longer open.")
    return _email(message, "offered", f"A place is free for you: {registration.event.title}")


@writes(Kind.REGISTRATION_CANCELLED)
def cancelled(message) -> RenderedEmail:
    registration = registration_of(message)
    link = personal_link(registration)
    attachments = (("event.ics", calendar.registration_ics(registration, link).decode(), "text/calendar"),)
    return _email(message, "cancelled", f"Your registration is cancelled: {registration.event.title}",
                  attachments=attachments)


@writes("registration_link_again")
def link_again(message) -> RenderedEmail:
    registration = registration_of(message)
    if registration.status == "cancelled":
        raise NotWanted("The registration is cancelled.")
    return _email(message, "link_again", f"Your registration: {registration.event.title}")


@writes(Kind.AGENDA)
def agenda(message) -> RenderedEmail:
    from pledgecard.workshops.services import agenda_for

    registration = registration_of(message)
    placements = agenda_for(registration)
    attachments = (("workshops.ics", calendar.sessions_ics(registration, placements).decode(), "text/calendar"),)
    return _email(message, "agenda", f"Your workshops: {registration.event.title}", placements=placements,
                  attachments=attachments)
