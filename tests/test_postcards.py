"""The postcard loop through the web pages: write, confirm, open from the link, follow up, refresh, stop."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due
from pledgecard.pledges import services
from pledgecard.pledges.models import FollowUp, Postcard

from .conftest import postcard_data

pytestmark = pytest.mark.django_db


def write(client, event, **overrides):
    response = client.post(f"/e/{event.slug}/", postcard_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Postcard.objects.latest("created_at")


def link_from(received):
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://[^\s]+/p/([A-Za-z0-9_-]{43})/", text).group(1)


def test_postcard_page_shows_the_form_with_the_reminder_day(client, event):
    response = client.get(f"/e/{event.slug}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Write your postcard" in page
    assert "5 September 2030" in page  # 5 March 2030 + 6 months
    assert 'name="csrfmiddlewaretoken"' in page


def test_writing_a_postcard_saves_it_with_consent_and_schedules_its_reminder(client, event):
    postcard = write(client, event)
    assert postcard.wants_reminder and postcard.reminder_consent_at is not None
    assert postcard.share_on_wall
    reminder = Message.objects.get(subject=postcard.subject, kind="postcard_reminder")
    assert reminder.status == "scheduled"
    assert reminder.due_at == dt.datetime(2030, 9, 5, 9, 0, tzinfo=dt.UTC)  # 10:00 BST
    assert Message.objects.filter(subject=postcard.subject, kind="postcard_confirmation").count() == 1


def test_writer_sees_their_postcard_straight_after_writing_it(client, event):
    response = client.post(f"/e/{event.slug}/", postcard_data(), follow=True)
    page = response.content.decode()
    assert "Thank you. Your postcard is saved" in page
    assert "Ask one community group to shape our next service change." in page
    assert "5 September 2030 at 10am" in page


def test_no_reminder_when_the_writer_says_no(client, event):
    postcard = write(client, event, reminder="no")
    assert not postcard.wants_reminder
    assert postcard.reminder_consent_at is None
    assert not Message.objects.filter(subject=postcard.subject, kind="postcard_reminder").exists()


def test_a_double_tapped_submit_saves_one_postcard(client, event):
    write(client, event)
    write(client, event)
    assert Postcard.objects.count() == 1
    assert Message.objects.count() == 2


def test_missing_fields_are_reported_beside_each_field_and_nothing_is_saved(client, event):
    response = client.post(f"/e/{event.slug}/", {"name": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    for text in ["Enter your name", "Enter your email address", "Select your sector",
                 "Enter what you learnt today", "Enter the one thing you will do differently",
                 "Select whether you want your postcard sent back to you"]:
        assert text in page
    assert Postcard.objects.count() == 0


def test_confirmation_email_has_the_words_and_a_private_link_that_opens_the_postcard(client, event, smtp):
    postcard = write(client, event)
    deliver_due()
    [received] = smtp.received
    assert received.message["Subject"] == "Your postcard from Test event"
    html = received.message.get_body(preferencelist=("html",)).get_content()
    assert "Ask one community group to shape our next service change." in html
    token = link_from(received)
    assert token == postcard.token
    assert postcard.token_hash != token and token not in str(Postcard.objects.filter(pk=postcard.pk).values().first())

    other_browser = client.__class__()
    response = other_browser.get(f"/p/{token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/postcards/{postcard.public_id}/"
    assert other_browser.get(response["Location"]).status_code == 200


def test_postcard_page_without_the_link_is_not_found(client, event):
    postcard = write(client, event)
    assert client.__class__().get(f"/postcards/{postcard.public_id}/").status_code == 404


def test_opening_the_link_changes_nothing(client, event):
    postcard = write(client, event)
    before = list(Message.objects.values_list("id", "status", "due_at"))
    client.__class__().get(f"/p/{postcard.token}/?next=stop", follow=True)
    assert list(Message.objects.values_list("id", "status", "due_at")) == before
    postcard.refresh_from_db()
    assert postcard.wants_reminder


def test_reminder_email_brings_back_the_words_and_how_did_it_go(client, event, smtp):
    postcard = write(client, event)
    reminder = Message.objects.get(subject=postcard.subject, kind="postcard_reminder")
    Message.objects.filter(pk=reminder.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    deliver_due()
    reminder_mail = [r for r in smtp.received if r.message["Subject"].startswith("Your postcard is back")]
    assert len(reminder_mail) == 1
    text = reminder_mail[0].message.get_body(preferencelist=("plain",)).get_content()
    assert "Six months ago, at Test event" in text
    assert "Ask one community group to shape our next service change." in text
    assert "How did it go?" in text
    assert "Stop my reminder:" in text
    reminder.refresh_from_db()
    assert reminder.status == "sent" and reminder.sent_at is not None


def test_how_did_it_go_is_recorded_and_can_be_changed(client, event):
    postcard = write(client, event)
    url = f"/postcards/{postcard.public_id}/how-did-it-go/"
    assert client.post(url, {"outcome": "under_way", "reflection": "Met the group twice."}).status_code == 302
    assert client.post(url, {"outcome": "done", "reflection": ""}).status_code == 302
    follow_up = FollowUp.objects.get(postcard=postcard)
    assert (follow_up.outcome, follow_up.reflection) == ("done", "")


def test_how_did_it_go_needs_an_answer(client, event):
    postcard = write(client, event)
    response = client.post(f"/postcards/{postcard.public_id}/how-did-it-go/", {"outcome": "maybe"})
    assert response.status_code == 400
    assert not FollowUp.objects.exists()


def test_refresh_writes_a_new_postcard_with_its_own_reminder_six_months_on(client, event):
    postcard = write(client, event)
    response = client.post(
        f"/postcards/{postcard.public_id}/refresh/",
        {"learnt": "Small steps add up.", "commitment": "Run a second listening session.", "theme": "", "reminder": "yes"},
    )
    assert response.status_code == 302
    refreshed = Postcard.objects.get(refreshed_from=postcard)
    assert refreshed.source == "refresh" and refreshed.email == postcard.email
    due = Message.objects.get(subject=refreshed.subject, kind="postcard_reminder").due_at
    today = timezone.localdate()
    expected_day = services.dates.refreshed_reminder_date(today)
    assert due.astimezone(timezone.get_current_timezone()).date() == expected_day
    assert response["Location"] == f"/postcards/{refreshed.public_id}/"


def test_stopping_the_reminder_needs_a_button_and_cancels_it(client, event):
    postcard = write(client, event)
    assert client.get(f"/postcards/{postcard.public_id}/stop/").status_code == 200
    assert Message.objects.get(subject=postcard.subject, kind="postcard_reminder").status == "scheduled"
    client.post(f"/postcards/{postcard.public_id}/stop/")
    reminder = Message.objects.get(subject=postcard.subject, kind="postcard_reminder")
    assert reminder.status == "cancelled"
    postcard.refresh_from_db()
    assert not postcard.wants_reminder and postcard.reminder_withdrawn_at is not None


def test_a_postcard_written_after_the_reminder_day_comes_back_six_months_after_writing(client, event):
    event.reminder_date = timezone.localdate() - dt.timedelta(days=1)
    event.save()
    postcard = write(client, event)
    due = Message.objects.get(subject=postcard.subject, kind="postcard_reminder").due_at
    assert due > timezone.now() + dt.timedelta(days=170)


def test_pledge_wall_shows_shared_commitments_without_names(client, event):
    write(client, event)
    write(client, event, email="ben@example.org", name="Ben Private", commitment="Not for the wall", share="")
    # A shared pledge waits for an organiser first (test_wall_moderation.py), then shows.
    assert "Ask one community group" not in client.get(f"/e/{event.slug}/wall/").content.decode()
    Postcard.objects.filter(share_on_wall=True).update(wall_status="published")
    page = client.get(f"/e/{event.slug}/wall/").content.decode()
    assert "Ask one community group to shape our next service change." in page
    assert "Amina" not in page and "Not for the wall" not in page


def test_closed_event_says_so(client, event):
    event.postcards_open = False
    event.save()
    response = client.post(f"/e/{event.slug}/", postcard_data())
    assert response.status_code == 410
    assert Postcard.objects.count() == 0


def test_unknown_event_is_not_found(client, db):
    assert client.get("/e/no-such-event/").status_code == 404
