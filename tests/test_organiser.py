"""Organisers: set up an alliance and event, share the page, type in paper postcards, see statuses, export."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from pledgecard.core.models import Membership
from pledgecard.delivery.models import Message
from pledgecard.events.models import Event
from pledgecard.pledges.models import Postcard

from .conftest import make_organiser, postcard_data

pytestmark = pytest.mark.django_db


def test_organiser_pages_need_sign_in(client, event):
    response = client.get(f"/organise/events/{event.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_organiser_of_another_alliance_is_refused(client, event):
    from pledgecard.core.models import Alliance

    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    client.force_login(make_organiser(other, email="stranger@example.org"))
    assert client.get(f"/organise/events/{event.slug}/").status_code == 403
    assert client.get(f"/organise/events/{event.slug}/postcards.csv").status_code == 403


def test_creating_an_alliance_and_an_event_with_the_default_reminder_day(client, django_user_model):
    user = django_user_model.objects.create_user(username="new", email="new@example.org", password="x" * 14)
    client.force_login(user)
    response = client.post("/organise/alliances/new/", {"name": "Leeds Health Equity", "contact_email": "hi@example.org"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == "organiser" and membership.alliance.slug == "leeds-health-equity"
    response = client.post(
        f"/organise/alliances/{membership.alliance.slug}/events/new/",
        {"title": "Fairer Leeds", "date": "31/08/2031", "venue": "Civic Hall", "time_zone": "Europe/London",
         "reminder_date": "", "reminder_time": "10:00:00"},
    )
    assert response.status_code == 302
    event = Event.objects.get(title="Fairer Leeds")
    assert event.reminder_date == dt.date(2032, 2, 29)  # 31 August + 6 months, a leap year
    assert event.slug == "fairer-leeds-2031"
    page = client.get(f"/organise/events/{event.slug}/").content.decode()
    assert f"http://testserver/e/{event.slug}/" in page
    assert "29 February 2032 at 10am" in page


def test_event_form_reports_bad_dates(organiser_client, alliance):
    response = organiser_client.post(
        f"/organise/alliances/{alliance.slug}/events/new/",
        {"title": "X", "date": "31/02/2031", "time_zone": "Mars/Olympus", "reminder_time": "03:00:00"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a real date, for example 7/11/2023" in page
    assert not Event.objects.filter(title="X").exists()


def test_qr_code_opens_the_postcard_page(organiser_client, event):
    response = organiser_client.get(f"/organise/events/{event.slug}/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_paper_postcards_are_typed_in_one_after_another(organiser_client, event, organiser):
    response = organiser_client.post(f"/organise/events/{event.slug}/postcards/paper/", postcard_data())
    assert response.status_code == 302
    assert response["Location"] == f"/organise/events/{event.slug}/postcards/paper/"
    postcard = Postcard.objects.get()
    assert postcard.source == "paper" and postcard.created_by == organiser
    # Paper writers get their reminder, but no "thanks for writing online" email.
    assert list(Message.objects.values_list("kind", flat=True)) == ["postcard_reminder"]
    page = organiser_client.get(response["Location"]).content.decode()
    assert "Saved the postcard from Amina Hussain" in page
    assert "1 typed in so far" in page


def test_postcard_list_shows_each_reminders_status_and_reason(organiser_client, event):
    organiser_client.post(f"/organise/events/{event.slug}/postcards/paper/", postcard_data())
    organiser_client.post(f"/organise/events/{event.slug}/postcards/paper/",
                          postcard_data(name="Ben Ng", email="ben@example.org", reminder="no"))
    Message.objects.filter(to_address="amina@example.org").update(
        status="failed", last_error="The mail server answered 550: no such mailbox")
    page = organiser_client.get(f"/organise/events/{event.slug}/postcards/").content.decode()
    assert "Failed" in page and "550: no such mailbox" in page
    assert "Not wanted" in page


def test_csv_download_escapes_formulas_and_has_statuses(organiser_client, event):
    organiser_client.post(f"/organise/events/{event.slug}/postcards/paper/",
                          postcard_data(organisation="=HYPERLINK(\"http://x\")"))
    response = organiser_client.get(f"/organise/events/{event.slug}/postcards.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["organisation"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["reminder_status"] == "scheduled"
    assert rows[0]["reminder_due"].startswith("2030-09-05T09:00")


def test_moving_the_day_moves_scheduled_reminders_only(organiser_client, event):
    for n in range(3):
        organiser_client.post(f"/organise/events/{event.slug}/postcards/paper/",
                              postcard_data(email=f"p{n}@example.org", name=f"Person {n}"))
    Message.objects.filter(to_address="p0@example.org").update(status="sent")
    new_day = timezone.localdate() + dt.timedelta(days=30)
    response = organiser_client.post(f"/organise/events/{event.slug}/reschedule/",
                                     {"reminder_date": new_day.strftime("%d/%m/%Y"), "reminder_time": "09:00:00"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.reminder_date, event.reminder_time) == (new_day, dt.time(9))
    moved = Message.objects.filter(status="scheduled")
    assert moved.count() == 2 and all(m.due_at == event.reminder_due_at for m in moved)
    assert Message.objects.get(status="sent").due_at != event.reminder_due_at


def test_moving_the_day_into_the_past_is_refused(organiser_client, event):
    response = organiser_client.post(f"/organise/events/{event.slug}/reschedule/",
                                     {"reminder_date": "01/01/2020", "reminder_time": "10:00:00"})
    assert response.status_code == 400
    assert "The new day must be today or later" in response.content.decode()
    event.refresh_from_db()
    assert event.reminder_date == dt.date(2030, 9, 5)
