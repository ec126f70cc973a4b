"""A test reminder: what an event's attendees will get, sent to one address, touching no attendee's reminder.

It goes the way the worker sends a reminder email: a postcard and its reminder row are written as
`postcard_write` writes them, the message is written by the same writer (`delivery.rendering.render`) and sent
by the same SMTP channel. The postcard and its messages are written in a transaction that is rolled back once
the email is written, so nothing is kept: no postcard to count, no row for the worker, no real attendee's
words in someone else's inbox. Its subject starts with "[Test]" and it carries an X-Pledgecard-Test header.
"""

import dataclasses
import uuid

from django.db import transaction

from pledgecard.core.models import Sector
from pledgecard.delivery import rendering
from pledgecard.delivery.channels import EmailChannel, RenderedEmail
from pledgecard.delivery.models import Message
from pledgecard.delivery.services import messages_about
from pledgecard.pledges import services
from pledgecard.pledges.models import Postcard

TEST_NAME = "Test Attendee"
TEST_LEARNT = "This is a test. Here an attendee reads their own words: what they learnt on the day."
TEST_COMMITMENT = "This is a test. Here an attendee reads the one thing they said they would do differently."
TEST_HEADER = "X-Pledgecard-Test"


class NotWritten(Exception):
    """The test postcard could not be made as an attendee's would be."""


def render_test_reminder(event, email: str) -> RenderedEmail:
    """The reminder an attendee of `event` would get, addressed to `email` and marked as a test."""
    words = services.PostcardWords(
        name=TEST_NAME, email=email, organisation="", sector=Sector.objects.order_by("position").first(),
        learnt=TEST_LEARNT, commitment=TEST_COMMITMENT, theme=None, wants_reminder=True, share_on_wall=False,
    )
    with transaction.atomic():
        written = services.postcard_write(event=event, words=words, source=Postcard.Source.ONLINE,
                                          send_confirmation=False)
        if not written.created:  # the same words already at this event: never send a real postcard's email
            raise NotWritten("A postcard with these words is already at this event.")
        reminder = messages_about(written.postcard).get(kind=Message.Kind.POSTCARD_REMINDER)
        rendered = rendering.render(reminder)
        transaction.set_rollback(True)  # keep nothing: the postcard and its messages were only to write it
    return dataclasses.replace(
        rendered,
        subject=f"[Test] {rendered.subject}",
        headers={**rendered.headers, TEST_HEADER: f"reminder for {event.slug}"},
    )


def send_test_reminder(event, email: str) -> str:
    """Send the test reminder now by SMTP; returns its Message-ID. Raises the channel's TemporaryFailure or
    PermanentFailure as the worker would meet them."""
    rendered = render_test_reminder(event, email)
    channel = EmailChannel()
    try:
        return channel.send(f"<test-{uuid.uuid4()}@pledgecard>", rendered)
    finally:
        channel.close()
