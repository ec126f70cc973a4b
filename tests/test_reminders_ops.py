"""Operations on an event's reminders from the shell, against a real SMTP server (aiosmtpd on loopback):
`reminders reschedule SLUG DATE [--time HH:MM]` and `reminders send-test SLUG EMAIL`. The worker's sweep is
`deliver_due()`, in this process (the worker command itself: tests/test_deploy.py)."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due
from pledgecard.delivery.services import messages_about
from pledgecard.pledges import reminder_test
from pledgecard.pledges.models import Postcard
from pledgecard.pledges.services import PostcardWords, postcard_write

pytestmark = pytest.mark.django_db

Status = Message.Status


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def write(event, nhs, maternity, n):
    return postcard_write(
        event=event,
        words=PostcardWords(
            name=f"Person {n} Example", email=f"person{n}@example.org", organisation="Bradford Council", sector=nhs,
            learnt=f"Learnt thing number {n}.", commitment=f"Commitment number {n}.", theme=maternity,
            wants_reminder=True, share_on_wall=False,
        ),
        source=Postcard.Source.ONLINE, send_confirmation=False,
    ).postcard


def today_in(event):
    return timezone.now().astimezone(ZoneInfo(event.time_zone)).date()


def reminders(event):
    postcards = Postcard.objects.filter(event=event)
    return messages_about(postcards).filter(kind=Message.Kind.POSTCARD_REMINDER).order_by("pk")


def test_reschedule_to_a_time_already_past_today_sends_each_reminder_once_on_the_next_sweep(
        smtp, event, nhs, maternity):
    people = [write(event, nhs, maternity, n) for n in range(3)]
    deliver_due()  # the worker's sweep; nothing is due yet, six months away
    assert smtp.received == []

    out = run("reminders", "reschedule", event.slug, today_in(event).isoformat(), "--time", "00:00")

    assert "Moved 3 scheduled reminders" in out
    assert "already passed today" in out and "at once" in out
    event.refresh_from_db()
    assert event.reminder_time == dt.time(0, 0)
    assert {m.due_at for m in reminders(event)} == {event.reminder_due_at}
    deliver_due()
    smtp.wait_for(3)
    assert sorted(r.rcpt[0] for r in smtp.received) == sorted(p.email for p in people)
    assert len({r.message_id for r in smtp.received}) == 3
    assert set(reminders(event).values_list("status", flat=True)) == {Status.SENT}
    deliver_due()  # the next sweep: nothing is owed any more
    assert len(smtp.received) == 3


def test_reschedule_to_a_later_time_waits_for_it(smtp, event, nhs, maternity):
    write(event, nhs, maternity, 1)
    tomorrow = today_in(event) + dt.timedelta(days=1)

    out = run("reminders", "reschedule", event.slug, tomorrow.isoformat(), "--time", "9:30")

    assert "Moved 1 scheduled reminders" in out and "at once" not in out
    due = reminders(event).get().due_at
    assert due.astimezone(ZoneInfo(event.time_zone)).replace(tzinfo=None) == dt.datetime.combine(
        tomorrow, dt.time(9, 30))
    deliver_due()
    assert smtp.received == []
    assert reminders(event).get().status == Status.SCHEDULED


def test_reschedule_without_a_time_keeps_the_events_time(event, nhs, maternity):
    write(event, nhs, maternity, 1)
    day = today_in(event) + dt.timedelta(days=2)
    run("reminders", "reschedule", event.slug, day.isoformat())
    event.refresh_from_db()
    assert event.reminder_date == day and event.reminder_time == dt.time(10, 0)


@pytest.mark.parametrize("time_text", ["25:00", "9.30", "noon", "12:60", ""])
def test_reschedule_refuses_a_time_that_is_not_hh_mm(event, time_text):
    before = (event.reminder_date, event.reminder_time)
    with pytest.raises(CommandError, match="not a time of day"):
        run("reminders", "reschedule", event.slug, today_in(event).isoformat(), "--time", time_text)
    event.refresh_from_db()
    assert (event.reminder_date, event.reminder_time) == before


def test_reschedule_refuses_a_past_day_and_an_unknown_event(event):
    with pytest.raises(CommandError, match="today or later"):
        run("reminders", "reschedule", event.slug, (today_in(event) - dt.timedelta(days=1)).isoformat())
    with pytest.raises(CommandError, match="no event"):
        run("reminders", "reschedule", "no-such-event", today_in(event).isoformat())


def _normalised(text: str, first_name: str, learnt: str, commitment: str) -> str:
    """An email's text with what differs between two people's reminders (their words, links) taken out."""
    for value, placeholder in ((learnt, "LEARNT"), (commitment, "COMMITMENT"), (f"Dear {first_name},", "Dear NAME,")):
        assert value in text
        text = text.replace(value, placeholder)
    return re.sub(r"https?://\S+", "LINK", text)


def test_send_test_sends_what_an_attendee_gets_marked_as_a_test_and_touches_no_reminder(
        smtp, event, nhs, maternity):
    attendee = write(event, nhs, maternity, 1)
    before = list(reminders(event).values_list("pk", "status", "due_at", "attempts", "to_address"))
    postcards_before = Postcard.objects.count()

    out = run("reminders", "send-test", event.slug, "tester@example.org")

    assert "Sent a test reminder" in out and "tester@example.org" in out
    smtp.wait_for(1)
    [test] = smtp.received
    assert test.rcpt == ["tester@example.org"]
    assert test.message["Subject"].startswith("[Test] ")
    assert test.message[reminder_test.TEST_HEADER] == f"reminder for {event.slug}"
    # Nothing kept, no attendee's reminder changed, and no attendee's words sent.
    assert Postcard.objects.count() == postcards_before
    assert list(reminders(event).values_list("pk", "status", "due_at", "attempts", "to_address")) == before
    test_text = test.message.get_body(("plain",)).get_content()
    assert attendee.learnt not in test_text and attendee.commitment not in test_text
    assert reminder_test.TEST_LEARNT in test_text

    # The attendee's real reminder, sent by the worker, is the same email but for the words and links.
    run("reminders", "reschedule", event.slug, today_in(event).isoformat(), "--time", "00:00")
    deliver_due()
    smtp.wait_for(2)
    real = smtp.to(attendee.email)[0].message
    assert test.message["Subject"] == "[Test] " + real["Subject"]
    assert _normalised(test_text, "Test", reminder_test.TEST_LEARNT, reminder_test.TEST_COMMITMENT) == _normalised(
        real.get_body(("plain",)).get_content(), attendee.first_name, attendee.learnt, attendee.commitment)
    assert {k for k in test.message.keys()} - {reminder_test.TEST_HEADER} == set(real.keys())


def test_send_test_says_when_the_mail_server_refuses(smtp, event):
    smtp.handler.refuse["tester@example.org"] = "550 5.1.1 No such user"
    with pytest.raises(CommandError, match="not sent.*550"):
        run("reminders", "send-test", event.slug, "tester@example.org")
    assert Postcard.objects.count() == 0 and Message.objects.count() == 0


def test_send_test_refuses_a_bad_address_and_an_unknown_event(smtp, event):
    with pytest.raises(CommandError, match="not an email address"):
        run("reminders", "send-test", event.slug, "not-an-address")
    with pytest.raises(CommandError, match="no event"):
        run("reminders", "send-test", "no-such-event", "tester@example.org")
    assert smtp.received == []
