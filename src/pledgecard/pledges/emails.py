"""How postcard messages are written. Registered by kind; the delivery worker calls them at send time."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from pledgecard.delivery import postal
from pledgecard.delivery.channels import PermanentFailure, RenderedEmail, RenderedLetter, RenderedText
from pledgecard.delivery.models import Message
from pledgecard.delivery.rendering import NotWanted, writes
from pledgecard.delivery.services import messages_about, subject_pk
from pledgecard.pledges.models import Postcard
from pledgecard.resources.selectors import resources_for


def _postcard(message) -> Postcard:
    """The postcard as it is now (its subject names it), with what the words need in the same query."""
    postcards = Postcard.objects.select_related("event__alliance", "sector", "theme")
    return postcards.get(pk=subject_pk(message.subject))


def _links(postcard) -> dict:
    link = settings.SITE_URL + reverse("pledges:link", kwargs={"token": postcard.token})
    return {"postcard_url": link, "stop_url": link + "?next=stop"}


def _email(message, postcard: Postcard, template: str, subject: str, **extra) -> RenderedEmail:
    context = {
        **extra,
        "postcard": postcard,
        "event": postcard.event,
        "alliance": postcard.event.alliance,
        "reminder": messages_about(postcard).filter(kind=Message.Kind.POSTCARD_REMINDER).first(),
        **_links(postcard),
    }
    links = _links(postcard)
    return RenderedEmail(
        to=message.to_address,
        subject=subject,
        text=render_to_string(f"pledges/email/{template}.txt", context),
        html=render_to_string(f"pledges/email/{template}.html", context),
        headers={
            "Reply-To": postcard.event.alliance.contact_email,
            # One-click unsubscribe would act on a GET from a mail scanner; the link asks for a button press.
            "List-Unsubscribe": f"<{links['stop_url']}>",
        },
        # For a GOV.UK Notify email template: ((subject)) and ((body)) are the whole email; the rest are there
        # for organisers who write their own template.
        personalisation={"first_name": postcard.first_name, "event": postcard.event.title,
                         "link": links["postcard_url"], "stop_link": links["stop_url"]},
    )


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
        raise NotWanted("The writer asked not to get it back.")
    if message.channel == Message.Channel.SMS:
        return _text(message, postcard)
    if message.channel == Message.Channel.LETTER:
        return _letter(message, postcard)
    return _email(message, postcard, "reminder", "Your postcard is back: how did it go?",
                  resources_heading="What you can do next",
                  resources=resources_for(postcard.event.alliance, theme=postcard.theme_id))
