"""Organisers' data-protection pages: find a person, download their data, erase it (with a confirming step),
and
the alliance's audit log (sign-ins, exports, imports, erasures, settings changes, in words)."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from pledgecard.core import people
from pledgecard.core.models import Alliance, AuditEntry
from pledgecard.events.models import Event, Registration
from pledgecard.pledges.models import Postcard

from . import people_world as pw
from .conftest import make_organiser

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def world(alliance):
    return pw.build(alliance)


@pytest.fixture
def other_alliance(db):
    return Alliance.objects.create(
        name="Northern Partnership", slug="northern", contact_email="n@example.org"
    )


def _page(response) -> str:
    return response.content.decode()


def test_find_shows_what_is_held_and_the_scope(organiser_client, world):
    page = organiser_client.get("/organise/people/")
    assert page.status_code == 200
    assert (
        "<p>You are an organiser of Test Alliance: this finds and erases only what Test Alliance holds."
        in _page(page)
    )
    found = organiser_client.post("/organise/people/", {"email": pw.EMAIL.upper()})
    html = _page(found)
    assert found.status_code == 200
    assert "Postcards (2)" in html and "Registrations (3)" in html
    assert "Zq-commit: move the Tuesday clinic" in html  # the lines say what each record is
    assert "Download everything (JSON)" in html and "Erase this person" in html
    assert pw.EMAIL.upper() not in found.request["PATH_INFO"]  # the address travels in the body only


def test_find_nothing(organiser_client, world):
    html = _page(organiser_client.post("/organise/people/", {"email": "nobody@example.org"}))
    assert "Nothing is held about nobody@example.org" in html and "Erase this person" not in html


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "Enter their email address"),
        ("not an address", "Enter an email address in the correct format"),
        ("a\x00b@example.org", "Enter an email address in the correct format"),
        ("x" * 250 + "@example.org", "Ensure this value has at most 254 characters"),
    ],
)
@pytest.mark.parametrize("url", ["/organise/people/", "/organise/people/export/", "/organise/people/erase/"])
def test_bad_email_is_a_field_error(organiser_client, world, url, email, message):
    from .test_bad_input import Unchanged, assert_field_error

    with Unchanged():
        response = organiser_client.post(url, {"email": email, "confirm": "yes"})
    assert_field_error(response, "email", message)


def test_export_downloads_one_json_file(organiser_client, world):
    response = organiser_client.post("/organise/people/export/", {"email": pw.EMAIL.lower()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    assert response["Cache-Control"] == "private, no-store"
    document = json.loads(response.content)
    assert document["data"]["pledges.postcards"][1]["what_i_will_do_differently"] == pw.REFRESHED
    entry = AuditEntry.objects.get(action="people.export")
    assert entry.actor.email == "organiser@example.org" and entry.detail["by"] == "web"


def test_erase_asks_first_then_erases(organiser_client, world):
    confirm = organiser_client.post("/organise/people/erase/", {"email": pw.EMAIL})
    html = _page(confirm)
    assert confirm.status_code == 200 and "Erase everything about this person?" in html
    assert "What will go" in html and "What stays" in html and "This cannot be undone" in html
    assert Postcard.objects.filter(email__iexact=pw.EMAIL).count() == 2  # nothing erased yet
    assert not AuditEntry.objects.filter(action="people.erase").exists()

    done = organiser_client.post("/organise/people/erase/", {"email": pw.EMAIL, "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == "/organise/people/"
    banner = _page(organiser_client.get(done["Location"]))
    assert "Erased: what Test Alliance held about that person is deleted or anonymised" in banner
    assert "postcards: 3" in banner and pw.EMAIL.casefold() not in banner.casefold()
    assert not Postcard.objects.filter(email__iexact=pw.EMAIL).exists()
    assert not Registration.objects.filter(email__iexact=pw.EMAIL).exists()
    again = organiser_client.post(
        "/organise/people/erase/", {"email": pw.EMAIL, "confirm": "yes"}, follow=True
    )
    assert "Nothing was erased" in _page(again)


def test_an_organiser_sees_and_erases_only_their_alliances(world, other_alliance):
    theirs_event = Event.objects.create(
        alliance=other_alliance, slug="northern-day", title="Northern day", date=world.past.date
    )
    Registration.objects.create(
        event=theirs_event, name=pw.NAME, email=pw.EMAIL, organisation="X", sector=world.registration.sector
    )
    northern = Client()
    northern.force_login(make_organiser(other_alliance, email="north@example.org"))
    html = _page(northern.post("/organise/people/", {"email": pw.EMAIL}))
    assert "Registrations (1)" in html and "Postcards" not in html and "Zq-commit" not in html
    northern.post("/organise/people/erase/", {"email": pw.EMAIL, "confirm": "yes"})
    assert Registration.objects.filter(email__iexact=pw.EMAIL).count() == 2  # the Test Alliance's are kept
    assert not Registration.objects.filter(event=theirs_event, email__iexact=pw.EMAIL).exists()


def test_a_superuser_sees_everything(world, other_alliance):
    admin = get_user_model().objects.create_superuser("admin@example.org", "admin@example.org", "x" * 20)
    client = Client()
    client.force_login(admin)
    html = _page(client.post("/organise/people/", {"email": pw.EMAIL}))
    assert "every alliance" in html and "Postcards (2)" in html


def test_a_facilitator_cannot_use_the_pages(world):
    client = Client()
    client.force_login(make_organiser(world.past.alliance, email="f@example.org", role="facilitator"))
    assert client.get("/organise/people/").status_code == 403
    assert client.post("/organise/people/erase/", {"email": pw.EMAIL, "confirm": "yes"}).status_code == 403
    assert Postcard.objects.filter(email__iexact=pw.EMAIL).count() == 2


# ----------------------------------------------------------------------------------------------- audit log


def test_audit_log_shows_sign_ins_exports_erasures_and_settings_in_words(world, organiser):
    browser = Client()
    assert (
        browser.post("/accounts/login/", {"login": organiser.email, "password": "wrong-password"}).status_code
        == 200
    )
    assert (
        browser.post(
            "/accounts/login/", {"login": organiser.email, "password": "a-long-test-password"}
        ).status_code
        == 302
    )
    browser.post("/organise/people/export/", {"email": pw.EMAIL})
    browser.post("/organise/people/erase/", {"email": pw.EMAIL, "confirm": "yes"})
    browser.post(
        f"/organise/events/{world.past.slug}/reschedule/",
        {"reminder_date": "1/6/2031", "reminder_time": "10:00:00"},
    )
    AuditEntry.objects.create(
        actor=organiser,
        alliance=world.past.alliance,
        action="attendees.import",
        detail={"event": world.future.slug, "file": "list.csv", "new": 3, "update": 1},
    )
    AuditEntry.objects.create(
        actor=organiser,
        alliance=world.past.alliance,
        action="notify.settings",
        detail={"key_ending": "ab12", "new_key": True},
    )
    html = _page(browser.get(f"/organise/alliances/{world.past.alliance.slug}/audit/"))
    for words in [
        "Signed in",
        "A sign-in with this account&#39;s email address failed",
        "Exported everything held about a person (",
        "Erased a person (",
        "Moved the reminders of past-event to 2031-06-01",
        "Imported attendees into future-event from list.csv: 3 new, 1 updated",
        "Changed the GOV.UK Notify settings (new API key ending ab12)",
        "Printed badges for 1 person at past-event",
        "organiser@example.org",
    ]:
        assert words in html, words
    assert "zainab" not in html.casefold()


def test_audit_log_is_paginated_and_downloads_as_csv(organiser_client, alliance, other_alliance):
    for n in range(60):
        AuditEntry.objects.create(alliance=alliance, action="event.create", detail={"slug": f"event-{n}"})
    AuditEntry.objects.create(alliance=other_alliance, action="event.create", detail={"slug": "=theirs()"})
    AuditEntry.objects.create(alliance=alliance, action="=HYPERLINK(1)", detail={})
    first = _page(organiser_client.get(f"/organise/alliances/{alliance.slug}/audit/"))
    second = _page(organiser_client.get(f"/organise/alliances/{alliance.slug}/audit/?page=2"))
    assert "Created the event event-59" in first and "Created the event event-0<" not in first
    assert "Created the event event-0<" in second and "Older" in first and "Newer" in second
    for odd in ["x", "0", "-1", "99", "١"]:
        assert (
            organiser_client.get(f"/organise/alliances/{alliance.slug}/audit/", {"page": odd}).status_code
            == 200
        )
    # A NUL in a web address is refused before any page sees it (core.middleware).
    assert organiser_client.get(f"/organise/alliances/{alliance.slug}/audit/", {"page": "\x00"}).status_code == 400
    rows = list(
        csv.reader(
            io.StringIO(
                organiser_client.get(f"/organise/alliances/{alliance.slug}/audit.csv").content.decode()
            )
        )
    )
    assert rows[0] == ["when", "who", "what", "action", "address"]
    assert len(rows) == 1 + 61 + AuditEntry.objects.filter(alliance__isnull=True).count()
    assert rows[1][2:4] == ["'=HYPERLINK(1)", "'=HYPERLINK(1)"]  # a formula is written as text
    assert not any("theirs" in cell for row in rows for cell in row)


def test_a_sign_in_shows_in_each_of_the_members_alliances_only(alliance, other_alliance, organiser):
    Client().post("/accounts/login/", {"login": organiser.email, "password": "a-long-test-password"})
    north = make_organiser(other_alliance, email="north@example.org")
    client = Client()
    client.force_login(north)  # a sign-in of the northern organiser, not shown to Test Alliance
    own = Client()
    own.force_login(organiser)
    html = _page(own.get(f"/organise/alliances/{alliance.slug}/audit/"))
    assert "Signed in" in html and "north@example.org" not in html
    assert "organiser@example.org" not in _page(
        client.get(f"/organise/alliances/{other_alliance.slug}/audit/")
    )
    assert client.get(f"/organise/alliances/{alliance.slug}/audit/").status_code == 403


def test_export_and_erase_pages_say_nothing_of_other_alliances_people(world, other_alliance):
    northern = Client()
    northern.force_login(make_organiser(other_alliance, email="north@example.org"))
    assert "Nothing is held" in _page(northern.post("/organise/people/", {"email": pw.EMAIL}))
    document = json.loads(northern.post("/organise/people/export/", {"email": pw.EMAIL}).content)
    assert document["nothing_held"] and "Zq" not in json.dumps(document)
    assert people.people_find(pw.EMAIL).total > 0


def test_every_action_the_code_audits_has_words():
    """An action written anywhere in the source (`action="app.what"`, or a view's `_audit(..., "app.what")`)
    must be described in words on the audit page, not shown as its code."""
    import re
    from pathlib import Path

    import pledgecard
    from pledgecard.core import audit

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(pledgecard.__file__).parent.rglob("*.py"))
    actions = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
    actions |= set(re.findall(r'_audit\(request, event, "([a-z_]+\.[a-z_]+)"', source))
    assert {"postcards.import", "print.badges", "notify.settings"} <= actions  # the search finds them
    assert sorted(actions - set(audit.WORDS)) == []
