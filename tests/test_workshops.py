"""Workshops in the app: set-up, ranking on a phone, allocation with its proof, locks, late changes, publishing."""

import datetime as dt

import pytest

from pledgecard.core.models import Sector
from pledgecard.events.models import Registration
from pledgecard.workshops import services
from pledgecard.workshops.models import AllocationRun, Placement, Preference, Session, Slot, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(event):
    """Three workshops over two slots; A is popular and runs twice."""
    s1 = Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    s2 = Slot.objects.create(event=event, starts_at=dt.time(14, 45), ends_at=dt.time(15, 45))
    a, b, c = (Workshop.objects.create(event=event, title=t) for t in ("A", "B", "C"))
    Session.objects.create(workshop=a, slot=s1, capacity=2)
    Session.objects.create(workshop=a, slot=s2, capacity=2)
    Session.objects.create(workshop=b, slot=s1, capacity=3)
    Session.objects.create(workshop=c, slot=s2, capacity=3)
    programme = services.programme_for(event)
    programme.choosing_open = True
    programme.save()
    return {"slots": (s1, s2), "workshops": (a, b, c)}


def register(event, n):
    sector = Sector.objects.get(name="NHS")
    return Registration.objects.create(event=event, name=f"Person {n}", email=f"p{n}@example.org",
                                       organisation="Org", sector=sector)


def open_link(client, registration):
    response = client.get(f"/r/{registration.token}/")
    assert response.status_code == 302
    return response["Location"]


def test_attendee_ranks_workshops_without_javascript(client, event, programme):
    a, b, c = programme["workshops"]
    person = register(event, 1)
    page = open_link(client, person)
    assert "Choose your workshops" in client.get(page).content.decode()
    response = client.post(f"/registrations/{person.public_id}/workshops/",
                           {"choice_1": str(c.pk), "choice_2": "", "choice_3": str(a.pk)})
    assert response.status_code == 302
    assert list(person.preferences.values_list("workshop__title", "rank")) == [("C", 1), ("A", 2)]


def test_ranking_the_same_workshop_twice_is_explained(client, event, programme):
    a, b, c = programme["workshops"]
    person = register(event, 1)
    open_link(client, person)
    response = client.post(f"/registrations/{person.public_id}/workshops/", {"choice_1": str(a.pk), "choice_2": str(a.pk)})
    assert response.status_code == 400
    assert "You already chose A as your first choice" in response.content.decode()
    assert not Preference.objects.exists()


def test_ranking_nothing_needs_i_do_not_mind(client, event, programme):
    person = register(event, 1)
    open_link(client, person)
    response = client.post(f"/registrations/{person.public_id}/workshops/", {})
    assert response.status_code == 400
    assert client.post(f"/registrations/{person.public_id}/workshops/", {"no_preference": "on"}).status_code == 302
    assert person.choice_record.no_preference


def test_ranking_page_needs_the_private_link(client, event, programme):
    person = register(event, 1)
    assert client.get(f"/registrations/{person.public_id}/workshops/").status_code == 404


def test_allocation_places_everyone_optimally_and_records_the_proof(organiser_client, event, programme):
    a, b, c = programme["workshops"]
    people = [register(event, n) for n in range(5)]
    for person in people:
        services.choices_save(person, [a, b, c])
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/",
                                     {"objective": "fair", "mode": "full"})
    assert response.status_code == 302
    run = AllocationRun.objects.get()
    assert run.status == "optimal" and run.objective_value == run.bound and run.placed == 5
    # A has 4 places over two slots for 5 people who all want it first: 4 get it.
    assert Placement.objects.filter(session__workshop=a).count() == 4
    for person in people:
        workshops = list(person.placements.values_list("session__workshop__title", flat=True))
        assert len(workshops) == 2 and len(set(workshops)) == 2
    page = organiser_client.get(f"/organise/events/{event.slug}/workshops/placements/").content.decode()
    assert "proven optimal" in page


def test_too_few_places_is_a_clear_message_not_an_error(organiser_client, event, programme):
    for n in range(6):  # slot 1 has 5 places
        register(event, n)
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/",
                                     {"objective": "total", "mode": "full"})
    assert response.status_code == 400
    assert "has 5 free places for 6 people: add at least 1" in response.content.decode()
    assert not Placement.objects.exists()


def test_locked_placements_survive_a_full_rerun(organiser_client, event, programme):
    a, b, c = programme["workshops"]
    people = [register(event, n) for n in range(4)]
    for person in people:
        services.choices_save(person, [a, b, c])
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    unlucky = Placement.objects.filter(session__workshop=b).first()
    organiser_client.post(f"/organise/events/{event.slug}/workshops/placements/{unlucky.pk}/lock/", {"locked": "yes"})
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    kept = Placement.objects.get(registration=unlucky.registration, session=unlucky.session)
    assert kept.locked


def test_late_registrants_are_placed_without_moving_anyone_already_told(organiser_client, event, programme):
    a, b, c = programme["workshops"]
    early = [register(event, n) for n in range(2)]
    for person in early:
        services.choices_save(person, [b, c, a])
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    organiser_client.post(f"/organise/events/{event.slug}/workshops/publish/")
    before = set(Placement.objects.values_list("registration_id", "session_id"))
    late = register(event, 99)
    services.choices_save(late, [a, b])
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/",
                                     {"objective": "fair", "mode": "fill"})
    assert response.status_code == 302
    after = set(Placement.objects.values_list("registration_id", "session_id"))
    assert before <= after
    assert late.placements.count() == 2


def test_full_rerun_after_publishing_shows_who_would_move_before_saving(organiser_client, event, programme):
    a, b, c = programme["workshops"]
    people = [register(event, n) for n in range(3)]
    for person in people:
        services.choices_save(person, [b, c, a])
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    organiser_client.post(f"/organise/events/{event.slug}/workshops/publish/")
    for person in people:  # everyone changes their mind
        services.choices_save(person, [a, c, b])
    before = set(Placement.objects.values_list("registration_id", "session_id"))
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/",
                                     {"objective": "fair", "mode": "full"})
    assert response.status_code == 200 and "Check who would move" in response.content.decode()
    assert set(Placement.objects.values_list("registration_id", "session_id")) == before
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/",
                                     {"objective": "fair", "mode": "full", "confirm": "yes"})
    assert response.status_code == 302
    assert set(Placement.objects.values_list("registration_id", "session_id")) != before


def test_published_agenda_and_explanation_on_the_attendees_page(client, organiser_client, event, programme):
    a, b, c = programme["workshops"]
    people = [register(event, n) for n in range(5)]
    for person in people:
        services.choices_save(person, [a, b, c])
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    organiser_client.post(f"/organise/events/{event.slug}/workshops/publish/")
    missed = next(p for p in people if not p.placements.filter(session__workshop=a).exists())
    attendee = client.__class__()  # organiser_client is `client` signed in: the attendee has their own browser
    page = attendee.get(open_link(attendee, missed)).content.decode()
    assert "Why did I get these workshops?" in page
    assert "A (first choice) was full with people who ranked it first or higher" in page


def test_demand_against_places_has_a_chart_and_a_table(organiser_client, event, programme):
    a, b, c = programme["workshops"]
    services.choices_save(register(event, 1), [a, b])
    page = organiser_client.get(f"/organise/events/{event.slug}/workshops/").content.decode()
    assert "<svg" in page and 'role="img"' in page
    assert "Choices and places for each workshop" in page


def test_session_needs_places(organiser_client, event, programme):
    a, b, c = programme["workshops"]
    s1, _ = programme["slots"]
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/sessions/add/",
                                     {"workshop": str(c.pk), "slot": str(s1.pk), "capacity": "0"})
    assert response.status_code == 400
    assert "A session needs at least 1 place" in response.content.decode()


def test_workshop_pages_are_for_this_events_organisers_only(client, event, programme):
    assert client.get(f"/organise/events/{event.slug}/workshops/").status_code == 302


def test_room_lists_print_as_a_tagged_pdf_with_a_page_per_session(organiser_client, event, programme):
    import io

    from pypdf import PdfReader

    a, b, c = programme["workshops"]
    people = [register(event, n) for n in range(4)]
    for person in people:
        services.choices_save(person, [a, b, c])
    organiser_client.post(f"/organise/events/{event.slug}/workshops/allocate/", {"objective": "fair", "mode": "full"})
    from pledgecard.core import jobs

    # Made in the background like badges (events/print_jobs.py), started from the room lists page.
    response = organiser_client.post(f"/organise/events/{event.slug}/print/start/", {"what": "room_lists"})
    assert response.status_code == 302 and jobs.jobs_run_due() == 1
    job = jobs.Job.objects.get()
    response = organiser_client.get(job.result["next_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = [page.extract_text() for page in reader.pages]
    sessions = Session.objects.filter(workshop__event=event).count()
    assert len([t for t in text if "places" in t]) == sessions
    assert "Person 0" in "".join(text)
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged: screen readers can follow it


def test_organiser_types_in_choices_sent_another_way(organiser_client, event, programme, organiser):
    a, b, c = programme["workshops"]
    person = register(event, 1)
    response = organiser_client.post(f"/organise/events/{event.slug}/workshops/choices/",
                                     {"registration": str(person.pk), "choice_1": str(b.pk), "choice_2": str(a.pk)})
    assert response.status_code == 302
    assert list(person.preferences.values_list("workshop__title", flat=True)) == ["B", "A"]
    assert person.choice_record.entered_by == organiser


def test_choices_import_is_all_or_nothing_with_line_numbers(event, programme, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    register(event, 1), register(event, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text("email,choice_1,choice_2\np1@example.org,A,B\np2@example.org,Knitting,\nnobody@example.org,A,\n")
    with pytest.raises(CommandError) as raised:
        call_command("workshops", "import-choices", event.slug, str(bad), stdout=io.StringIO())
    assert "line 3: ‘Knitting’ is not one of this event's workshops" in str(raised.value)
    assert "line 4: nobody registered with nobody@example.org" in str(raised.value)
    assert not Preference.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text("\ufeffEmail,Choice_1,Choice_2\nP1@example.org,c,a\np2@example.org,,\n")
    out = io.StringIO()
    call_command("workshops", "import-choices", event.slug, str(good), stdout=out)
    assert "Saved the choices of 2 people" in out.getvalue()
    assert list(Preference.objects.filter(registration__email="p1@example.org").values_list("workshop__title", flat=True)) == ["C", "A"]
