"""Registration, waiting list, offers, groups, calendar files, check-in and retention."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from pledgecard.core.models import Role, Sector
from pledgecard.delivery.sending import deliver_due
from pledgecard.events import registrations
from pledgecard.events.models import Registration
from pledgecard.events.registrations import Person

from .conftest import make_organiser

pytestmark = pytest.mark.django_db
Status = Registration.Status


def form(**overrides):
    data = {"name": "Amina Hussain", "email": "amina@example.org", "organisation": "Bradford Council",
            "sector": str(Sector.objects.get(name="Local authority").pk), "role": "Public health officer"}
    data.update(overrides)
    return data


def person(n, sector=None):
    return Person(name=f"Person {n}", email=f"p{n}@example.org", organisation="Org",
                  sector=sector or Sector.objects.get(name="NHS"))


def calendar_of(received):
    [part] = [p for p in received.message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def test_registering_confirms_by_email_with_a_calendar_file_and_qr_code(client, event, smtp):
    response = client.post(f"/events/{event.slug}/", form())
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.status == Status.CONFIRMED and registration.role == "Public health officer"
    deliver_due()
    [received] = smtp.received
    assert received.message["Subject"] == "You are registered: Test event"
    ics = calendar_of(received)
    [entry] = ics.walk("VEVENT")
    assert str(entry["UID"]) == f"registration-{registration.public_id}@pledgecard"
    assert entry.decoded("DTSTART") == dt.datetime(2030, 3, 5, 9, 30, tzinfo=entry.decoded("DTSTART").tzinfo)
    assert [str(tz["TZID"]) for tz in ics.walk("VTIMEZONE")] == ["Europe/London"]
    assert any(p.get_content_type() == "image/png" for p in received.message.iter_attachments())
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    assert f"/r/{registration.token}/" in text


def test_changing_details_sends_a_calendar_update_with_a_higher_sequence(client, event, smtp):
    client.post(f"/events/{event.slug}/", form())
    registration = Registration.objects.get()
    deliver_due()
    first = int(calendar_of(smtp.received[0]).walk("VEVENT")[0]["SEQUENCE"])
    client.get(f"/r/{registration.token}/")  # from the link in the email
    response = client.post(f"/registrations/{registration.public_id}/change/", form(organisation="Bradford Council PH"))
    assert response.status_code == 302
    deliver_due()
    second = int(calendar_of(smtp.received[1]).walk("VEVENT")[0]["SEQUENCE"])
    assert second > first
    assert str(calendar_of(smtp.received[1]).walk("VEVENT")[0]["UID"]) == f"registration-{registration.public_id}@pledgecard"


def test_access_needs_need_their_own_consent(client, event):
    response = client.post(f"/events/{event.slug}/", form(access_needs="Step-free access"))
    assert response.status_code == 400
    assert "Tick to agree that we may keep your access needs" in response.content.decode()
    assert not Registration.objects.exists()
    client.post(f"/events/{event.slug}/", form(access_needs="Step-free access", special_consent="on"))
    registration = Registration.objects.get()
    assert registration.access_needs == "Step-free access" and registration.special_consent_at


def test_special_category_data_is_deleted_after_the_retention_period(event):
    [registration] = registrations.register(event, [Person("A", "a@example.org", "Org", Sector.objects.first(),
                                                          access_needs="Hearing loop", special_consent=True)])
    assert registrations.special_data_purge(now=timezone.make_aware(dt.datetime(2030, 3, 6))) == 0
    later = timezone.make_aware(dt.datetime(2030, 3, 5)) + dt.timedelta(days=event.special_data_retention_days + 1)
    assert registrations.special_data_purge(now=later) == 1
    registration.refresh_from_db()
    assert (registration.access_needs, registration.special_consent_at) == ("", None)


def test_full_event_puts_people_on_the_waiting_list_and_a_cancellation_offers_the_place(client, event, smtp):
    event.capacity = 1
    event.save()
    [first] = registrations.register(event, [person(1)])
    [second] = registrations.register(event, [person(2)])
    assert (first.status, second.status) == (Status.CONFIRMED, Status.WAITING)
    registrations.cancel(first)
    second.refresh_from_db()
    assert second.status == Status.OFFERED
    assert second.offer_expires_at - timezone.now() > dt.timedelta(hours=47)
    deliver_due()
    subjects = [r.message["Subject"] for r in smtp.to("p2@example.org")]
    assert "A place is free for you: Test event" in subjects
    # Opening the link changes nothing; the button takes the place.
    client.get(f"/r/{second.token}/")
    second.refresh_from_db()
    assert second.status == Status.OFFERED
    client.post(f"/registrations/{second.public_id}/take-place/")
    second.refresh_from_db()
    assert second.status == Status.CONFIRMED


def test_an_offer_not_taken_in_time_moves_to_the_next_person(event):
    event.capacity = 1
    event.save()
    [first] = registrations.register(event, [person(1)])
    [second] = registrations.register(event, [person(2)])
    [third] = registrations.register(event, [person(3)])
    registrations.cancel(first)
    assert registrations.offers_expire(now=timezone.now() + dt.timedelta(hours=49)) == 1
    second.refresh_from_db(), third.refresh_from_db()
    assert (second.status, third.status) == (Status.WAITING, Status.OFFERED)
    assert not registrations.offer_accept(second)


def test_a_group_gets_places_together_or_waits_together(event):
    event.capacity = 2
    event.save()
    registrations.register(event, [person(1)])
    pair = registrations.register(event, [person(2), person(3)])
    assert {r.status for r in pair} == {Status.WAITING}
    # One place is free: the pair ahead does not fit in it, so a single person after them may take it.
    [single] = registrations.register(event, [person(4)])
    assert single.status == Status.CONFIRMED
    event.capacity = 5
    event.save()
    registrations.places_changed(event)
    assert set(Registration.objects.filter(group=pair[0].group).values_list("status", flat=True)) == {Status.OFFERED}
    assert registrations.offer_accept(pair[0])
    assert set(Registration.objects.filter(group=pair[0].group).values_list("status", flat=True)) == {Status.CONFIRMED}


def test_registering_with_a_companion_from_the_form(client, event):
    response = client.post(f"/events/{event.slug}/", form(companion_name="Ben Carer", companion_email="ben@example.org"))
    assert response.status_code == 302
    group = set(Registration.objects.values_list("group", flat=True))
    assert len(group) == 1 and group != {""}


def test_closed_registration_says_so(client, event):
    client.post(f"/events/{event.slug}/", form())
    event.registration_open = False
    event.save()
    response = client.post(f"/events/{event.slug}/", form(email="new@example.org"))
    assert response.status_code == 400 and "closed" in response.content.decode()
    assert Registration.objects.count() == 1


@pytest.fixture
def facilitator_client(client, alliance):
    client.force_login(make_organiser(alliance, email="facilitator@example.org", role=Role.FACILITATOR))
    return client


def test_check_in_search_one_tap_and_a_double_tap_counts_once(facilitator_client, event):
    [amina] = registrations.register(event, [Person("Amina Hussain", "a@example.org", "Bradford Council",
                                                    Sector.objects.first())])
    page = facilitator_client.get(f"/organise/events/{event.slug}/check-in/?q=bradford").content.decode()
    assert "Amina Hussain" in page and "0 of" in page.replace("</strong>", "").replace("<strong id=\"arrived\">", "")
    url = f"/organise/events/{event.slug}/check-in/{amina.public_id}/"
    assert facilitator_client.post(url).status_code == 302
    first = Registration.objects.get().checked_in_at
    response = facilitator_client.post(url)
    assert response.status_code == 200 and "Already checked in" in response.content.decode()
    assert Registration.objects.get().checked_in_at == first
    assert facilitator_client.get(f"/organise/events/{event.slug}/check-in/count/").json() == {"arrived": 1, "expected": 1}
    facilitator_client.post(url + "undo/")
    assert Registration.objects.get().checked_in_at is None


def test_scanning_a_badge_opens_that_persons_check_in_without_changing_anything(facilitator_client, event, alliance):
    [amina] = registrations.register(event, [person(1)])
    response = facilitator_client.get(f"/r/{amina.token}/")
    assert response["Location"] == f"/organise/events/{event.slug}/check-in/{amina.public_id}/"
    assert Registration.objects.get().checked_in_at is None
    registrations.check_in(amina, by=None)
    page = facilitator_client.get(response["Location"]).content.decode()
    assert "Already checked in" in page


def test_scanning_someone_from_another_event_says_not_registered_for_this_event(facilitator_client, event, alliance):
    from pledgecard.events.models import Event

    other = Event.objects.create(alliance=alliance, slug="other", title="Other day", date=dt.date(2030, 4, 1))
    [stranger] = registrations.register(other, [person(9)])
    facilitator_client.get(f"/organise/events/{event.slug}/check-in/")  # checking in for `event`
    response = facilitator_client.get(f"/r/{stranger.token}/", follow=True)
    assert response.status_code == 409
    assert "Not registered for this event" in response.content.decode()


def test_walk_ins_are_registered_and_checked_in(facilitator_client, event):
    response = facilitator_client.post(f"/organise/events/{event.slug}/check-in/walk-in/", form(email="walk@example.org"))
    assert response.status_code == 302
    walk_in = Registration.objects.get()
    assert walk_in.status == Status.CONFIRMED and walk_in.checked_in_at and walk_in.source == "walk-in"


def test_facilitators_cannot_see_organiser_tables(facilitator_client, event):
    assert facilitator_client.get(f"/organise/events/{event.slug}/attendees/").status_code == 403


def test_organiser_tables_and_csv_show_who_wrote_a_postcard(organiser_client, event):
    registrations.register(event, [person(1)])
    page = organiser_client.get(f"/organise/events/{event.slug}/attendees/").content.decode()
    assert "Person 1" in page and "Not yet" in page
    response = organiser_client.get(f"/organise/events/{event.slug}/attendees/registered.csv")
    assert response.status_code == 200
    assert "p1@example.org" in response.content.decode("utf-8-sig")
    assert organiser_client.get(f"/organise/events/{event.slug}/attendees/nope.csv").status_code == 404


def test_publishing_workshops_emails_each_person_a_calendar_file_per_session(organiser_client, event, smtp):
    from pledgecard.workshops import services as workshops
    from pledgecard.workshops.models import Session, Slot, Workshop

    s1 = Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    s2 = Slot.objects.create(event=event, starts_at=dt.time(14, 45), ends_at=dt.time(15, 45))
    for title in ("A", "B"):
        w = Workshop.objects.create(event=event, title=title)
        Session.objects.create(workshop=w, slot=s1, capacity=5)
        Session.objects.create(workshop=w, slot=s2, capacity=5)
    [amina] = registrations.register(event, [person(1)])
    deliver_due()
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    organiser_client.post(f"/organise/events/{event.slug}/workshops/publish/")
    deliver_due()
    [agenda] = [r for r in smtp.received if r.message["Subject"].startswith("Your workshops")]
    entries = calendar_of(agenda).walk("VEVENT")
    assert len(entries) == 2
    assert {str(e["SUMMARY"]) for e in entries} == {"Workshop: A", "Workshop: B"}
    assert workshops.agenda_for(amina)
