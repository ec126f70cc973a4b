"""How postcard messages are written. Registered by kind; the delivery worker calls them at send time."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from pledgecard.delivery.channels import RenderedEmail
from pledgecard.delivery.models import Message
from pledgecard.delivery.rendering import NotWanted, writes


def _links(postcard) -> dict:
    link = settings.SITE_URL + reverse("pledges:link", kwargs={"token": postcard.token})
    return {"postcard_url": link, "stop_url": link + "?next=stop"}


def _email(message, template: str, subject: str) -> RenderedEmail:
    postcard = message.postcard
    context = {
        "postcard": postcard,
        "event": postcard.event,
        "alliance": postcard.event.alliance,
        "reminder": postcard.messages.filter(kind=Message.Kind.POSTCARD_REMINDER).first(),
        **_links(postcard),
    }
    return RenderedEmail(
        to=message.to_address,
        subject=subject,
        text=render_to_string(f"pledges/email/{template}.txt", context),
        html=render_to_string(f"pledges/email/{template}.html", context),
        headers={
            "Reply-To": postcard.event.alliance.contact_email,
            # One-click unsubscribe would act on a GET from a mail scanner; the link asks for a button press.
            "List-Unsubscribe": f"<{_links(postcard)['stop_url']}>",
        },
    )


@writes(Message.Kind.POSTCARD_CONFIRMATION)
def confirmation(message) -> RenderedEmail:
    return _email(message, "confirmation", f"Your postcard from {message.postcard.event.title}")


@writes(Message.Kind.POSTCARD_REMINDER)
def reminder(message) -> RenderedEmail:
    # Withdrawal cancels pending reminders, but not one a worker holds: that one could come back for a retry
    # (or to another worker after a crash). Checked here, at send time, from the row as it is now.
    message.postcard.refresh_from_db(fields=["wants_reminder"])
    if not message.postcard.wants_reminder:
        raise NotWanted("The writer asked not to get it back.")
    return _email(message, "reminder", "Your postcard is back: how did it go?")
