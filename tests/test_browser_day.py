"""The day in a real browser, with axe-core on every page: register → confirmation → choose workshops →
check in by search and by QR link; meet someone new → confirm with the partner's code; the organiser's
workshop, attendee and round pages. Uses the harness in test_browser.py (Chromium, loopback only, `orm()`)."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from pledgecard.core.models import Role, Sector
from pledgecard.delivery.sending import deliver_due
from pledgecard.events.models import Registration
from pledgecard.networking.models import Member
from pledgecard.workshops import services as workshops
from pledgecard.workshops.models import Session, Slot, Workshop

from .conftest import make_organiser
from .browser import LAPTOP, PHONE, orm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in(page, visit, email, password="a-long-test-password"):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _workshops(event):
    s1 = Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    s2 = Slot.objects.create(event=event, starts_at=dt.time(14, 45), ends_at=dt.time(15, 45))
    for title in ("Co-production with communities", "The role of trust"):
        w = Workshop.objects.create(event=event, title=title)
        Session.objects.create(workshop=w, slot=s1, capacity=10, room="Studio 1")
        Session.objects.create(workshop=w, slot=s2, capacity=10, room="Studio 2")
    programme = workshops.programme_for(event)
    programme.choosing_open = True
    programme.save()


def test_register_confirm_choose_and_check_in(event, alliance, smtp, settings, live_server, visit):
    settings.SITE_URL = live_server.url
    orm(_workshops, event)
    orm(make_organiser, alliance, "facilitator@example.org", Role.FACILITATOR)

    page = visit.no_js_page(**PHONE)
    assert page.goto(f"/events/{event.slug}/").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    visit.check(page, "Event page")
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter your full name")
    visit.check(page, "Event page with errors")
    page.get_by_label("Full name", exact=True).fill("Amina Hussain")
    page.get_by_label("Email address", exact=True).fill("amina@example.org")
    page.get_by_label("Organisation", exact=True).fill("Bradford Council")
    page.get_by_label("Local authority").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    # The same answer for a new address and a registered one: the form never says who is registered.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    visit.check(page, "Check your email")

    orm(deliver_due)
    [received] = smtp.received
    ics = [p for p in received.message.iter_attachments() if p.get_content_type() == "text/calendar"][0]
    assert Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]["SUMMARY"] == event.title
    link = re.search(r"See, change or cancel your registration: (\S+)", received.message.get_body(("plain",)).get_content()).group(1)

    phone = visit.no_js_page(**PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your registration, Amina Hussain")
    phone.get_by_role("button", name="Choose your workshops").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Choose your workshops")
    visit.check(phone, "Choose workshops")
    phone.get_by_label("First choice").select_option(label="The role of trust")
    phone.get_by_label("Second choice").select_option(label="Co-production with communities")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save my choices").click()
    expect(phone.locator(".nhsuk-notification-banner")).to_contain_text("Your choices are saved")
    registration = orm(Registration.objects.get)
    assert orm(lambda: list(registration.preferences.values_list("workshop__title", flat=True))) == [
        "The role of trust", "Co-production with communities"]

    desk = visit.page(**PHONE)  # the facilitator's phone, JavaScript on
    sign_in(desk, visit, "facilitator@example.org")
    desk.goto(f"/organise/events/{event.slug}/check-in/")
    expect(desk.locator("#arrived")).to_have_text("0")
    visit.check(desk, "Check-in")
    desk.get_by_label("Name or organisation").fill("bradford")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Search").click()
    visit.check(desk, "Check-in search")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Check in Amina Hussain").click()
    expect(desk.locator(".nhsuk-notification-banner")).to_contain_text("Amina Hussain is checked in")
    expect(desk.locator("#arrived")).to_have_text("1")
    # Scanning her QR code (her private link) opens her check-in, and says she is already in.
    desk.goto(link)
    assert urlsplit(desk.url).path == f"/organise/events/{event.slug}/check-in/{registration.public_id}/"
    expect(desk.get_by_text("Already checked in")).to_be_visible()
    visit.check(desk, "Check-in of one person")

    visit.assert_clean()


def _two_here(event):
    people = []
    for n, sector in [(1, "NHS"), (2, "Police")]:
        people.append(Registration.objects.create(
            event=event, name=f"Person {n}", email=f"p{n}@example.org", organisation=f"Org {n}",
            sector=Sector.objects.get(name=sector), checked_in_at=timezone.now()))
    return people


def test_meet_someone_new_and_confirm_with_the_partners_code(event, alliance, organiser, live_server, visit):
    first, second = orm(_two_here, event)

    organiser_page = visit.page(**LAPTOP)
    sign_in(organiser_page, visit, organiser.email)
    organiser_page.goto(f"/organise/events/{event.slug}/meet/")
    visit.check(organiser_page, "Meet someone new: rounds")
    with organiser_page.expect_navigation():
        organiser_page.get_by_role("button", name="Start round 1").click()
    expect(organiser_page.get_by_role("heading", level=1)).to_have_text("Round 1")
    visit.check(organiser_page, "Round 1")

    code_of_second = orm(lambda: Member.objects.get(registration=second).code)
    page = visit.no_js_page(**PHONE)
    page.goto(f"/r/{first.token}/")
    page.get_by_role("link", name="See who you are meeting, and confirm you met").click()
    expect(page.get_by_text("Person 2")).to_be_visible()
    expect(page.get_by_text("Table 1")).to_be_visible()
    visit.check(page, "Meet someone new (attendee)")
    page.get_by_label("Their code").fill("WRONG")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm we met").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("does not match anyone")
    visit.check(page, "Wrong code")
    page.get_by_label("Their code").fill(code_of_second)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm we met").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("You met Person 2")

    organiser_page.goto(f"/organise/events/{event.slug}/meet/live/")
    expect(organiser_page.get_by_text("of 2 people here have met someone new")).to_be_visible()
    visit.check(organiser_page, "Live view")

    visit.assert_clean()


def test_organiser_workshop_and_attendee_pages(event, organiser, live_server, visit):
    orm(_workshops, event)
    orm(_two_here, event)
    page = visit.page(**LAPTOP)
    sign_in(page, visit, organiser.email)
    base = f"/organise/events/{event.slug}/"
    page.goto(base + "workshops/")
    visit.check(page, "Workshops")
    page.get_by_label("Fair: nobody is pushed far down their list", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Allocate workshops").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Room lists")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("proven optimal")
    visit.check(page, "Room lists")
    for path, heading in [(base + "attendees/", "Attendees"), (base + "workshops/choices/", "Type in workshop choices"),
                          (base + "check-in/walk-in/", "Register a walk-in")]:
        assert page.goto(path).status == 200, path
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        visit.check(page, heading)
    visit.assert_clean()
