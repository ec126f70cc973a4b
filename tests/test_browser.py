"""Real headless Chromium (Debian's /usr/bin/chromium through Playwright) against a live Django server.

What it walks:
- an attendee on a phone with JavaScript off writes a postcard (first empty, to see the error summary),
  opens it again from the private link in the confirmation email (in a fresh browser, as from a phone's
  mail app), says how it went, refreshes the pledge and sees the new reminder scheduled;
- the same postcard form with JavaScript on: the character count enhancement and the error summary's focus;
- an organiser signs in and opens every organiser page.

Every page visited is checked with axe-core, and any violation fails the test, listed page by page. Every
request that is not to this machine is blocked, and an attempt to make one fails the test too, as do errors
in the browser console and failed loads of a page's CSS, scripts or images.

Database work while the browser runs goes through `orm()`, in a thread of its own. Playwright's sync API keeps
an asyncio loop running in the test's thread, and there Django refuses the ORM ("async unsafe"). Setting
DJANGO_ALLOW_ASYNC_UNSAFE would silence that but not make it right: with a loop running, Django keeps its
connections per context instead of per thread, so the test would quietly use a connection the test case never
set up or closes (tried: serialized rollback then restored nothing). So the browser starts at a test's first
page, after the fixtures have written their rows, and stops in teardown, before the database is flushed.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pledgecard.core import formats
from pledgecard.core.models import Sector
from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due
from pledgecard.pledges import services
from pledgecard.pledges.models import Postcard, Theme
from pledgecard.pledges.services import PostcardWords

from .browser import LAPTOP, PHONE, SCREENSHOTS, orm

# serialized_rollback: the flush after a transactional test would otherwise take the sectors and themes
# that migrations seed away from the tests that run after it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# --- The attendee's journey, JavaScript off ----------------------------------------------------------------


def test_attendee_writes_opens_answers_and_refreshes_without_javascript(
    event, smtp, settings, live_server, visit
):
    settings.SITE_URL = live_server.url  # the links in the emails point at this server
    page = visit.no_js_page(**PHONE)

    response = page.goto(f"/e/{event.slug}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Write your postcard")
    # Without JavaScript the character count is a plain hint.
    expect(page.get_by_text("You can enter up to 1000 characters")).to_be_visible()
    visit.check(page, "Postcard form")
    page.screenshot(path=SCREENSHOTS / "pledgecard-postcard-form.png", full_page=True)

    # Sent empty: the error summary lists each problem and links to its field.
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save my postcard").click()
    assert navigation.value.status == 400
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter your name")).to_have_attribute("href", "#name")
    expect(summary.get_by_role("link", name="Select your sector")).to_be_visible()
    expect(page.locator("#name-error")).to_contain_text("Enter your name")
    visit.check(page, "Postcard form with errors")

    page.get_by_label("Your name").fill("Amina Hussain")
    page.get_by_label("Your email address").fill("amina@example.org")
    page.get_by_label("Your organisation").fill("Bradford Council")
    page.get_by_label("Local authority").check()
    page.get_by_label("What I learnt today").fill("Life expectancy differs by years between wards.")
    page.get_by_label("The one thing I will do differently", exact=True).fill(
        "Ask one community group to shape our next service change.")
    page.get_by_label("The inequality I care about (optional)").select_option(label="Maternity")
    page.get_by_label("Yes, send it back to me by email").check()
    page.get_by_label("You may show the one thing").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my postcard").click()

    postcard = orm(Postcard.objects.get)
    assert urlsplit(page.url).path == f"/postcards/{postcard.public_id}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Your postcard")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Your postcard is saved")
    expect(page.locator(".pc-postcard")).to_contain_text("Ask one community group to shape our next service")
    first_due = formats.local_datetime(event.reminder_due_at, event.time_zone)
    expect(page.locator(".nhsuk-inset-text")).to_contain_text(f"We will email it back to you on {first_due}")
    visit.check(page, "Postcard page")
    page.screenshot(path=SCREENSHOTS / "pledgecard-postcard.png", full_page=True)

    # The confirmation email carries the private link.
    report = orm(deliver_due)
    assert report.outcomes["sent"] == 1
    [received] = smtp.received
    assert received.rcpt == ["amina@example.org"]
    text = received.message.get_body(("plain",)).get_content()
    link = re.search(r"See your postcard: (\S+)", text).group(1)
    assert link == f"{live_server.url}/p/{postcard.token}/"

    # Opened on another device (a fresh browser): the link alone lets them in.
    phone = visit.no_js_page(**PHONE)
    phone.goto(link)
    assert urlsplit(phone.url).path == f"/postcards/{postcard.public_id}/"
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your postcard")
    visit.check(phone, "Postcard page opened from the email")

    phone.get_by_label("It is under way").check()
    phone.get_by_label("What happened? (optional)").fill("Met the group twice; they are redoing the leaflet.")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my answer").click()
    expect(phone.locator(".nhsuk-notification-banner")).to_contain_text("Thank you for telling us")
    expect(phone.get_by_text("You told us:")).to_contain_text("It is under way")
    expect(phone.get_by_label("It is under way")).to_be_checked()
    assert orm(lambda: Postcard.objects.get(pk=postcard.pk).follow_up.outcome) == "under_way"
    visit.check(phone, "Postcard page after answering")

    phone.get_by_role("link", name="Refresh my pledge").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Refresh my pledge")
    visit.check(phone, "Refresh my pledge")
    phone.get_by_label("What I have learnt since").fill("Community groups want to be asked early.")
    commitment = phone.get_by_label("The one thing I will do differently in the next six months")
    expect(commitment).to_have_value("Ask one community group to shape our next service change.")
    commitment.fill("Bring two more groups into the next redesign.")
    expect(phone.get_by_label("Yes, send it back to me by email")).to_be_checked()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save my new pledge").click()

    refreshed = orm(Postcard.objects.get, refreshed_from=postcard)
    assert refreshed.source == Postcard.Source.REFRESH
    assert urlsplit(phone.url).path == f"/postcards/{refreshed.public_id}/"
    expect(phone.locator(".nhsuk-notification-banner")).to_contain_text("Your pledge is refreshed")
    expect(phone.locator(".pc-postcard")).to_contain_text("Bring two more groups into the next redesign.")
    reminder = orm(Message.objects.get, subject=refreshed.subject, kind=Message.Kind.POSTCARD_REMINDER)
    assert reminder.status == Message.Status.SCHEDULED
    assert reminder.due_at > timezone.now()
    new_due = formats.local_datetime(reminder.due_at, event.time_zone)
    expect(phone.locator(".nhsuk-inset-text")).to_contain_text(f"We will email it back to you on {new_due}")
    expect(phone.get_by_role("link", name="Stop my reminder")).to_be_visible()
    visit.check(phone, "Refreshed postcard page")

    visit.assert_clean()


# --- The postcard form, JavaScript on ----------------------------------------------------------------------


def test_postcard_form_with_javascript(event, visit):
    page = visit.page(**PHONE)
    page.goto(f"/e/{event.slug}/")
    expect(page.locator("body")).to_have_class(re.compile(r"\bnhsuk-frontend-supported\b"))

    # The character count replaces the plain hint with a live count.
    learnt = page.get_by_label("What I learnt today")
    status = page.locator("#learnt ~ .nhsuk-character-count__status")
    expect(status).to_have_text(re.compile(r"You have 1,?000 characters remaining"))
    learnt.fill("Hello")
    expect(status).to_have_text(re.compile(r"You have 995 characters remaining"))
    visit.check(page, "Postcard form (JavaScript on)")

    # Sent empty: the NHS.UK error summary takes the focus, so a screen reader announces it.
    with page.expect_navigation():
        page.get_by_role("button", name="Save my postcard").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    expect(page.get_by_label("What I learnt today")).to_have_value("Hello")
    visit.check(page, "Postcard form with errors (JavaScript on)")

    visit.assert_clean()


# --- The organiser's pages ---------------------------------------------------------------------------------


def _postcards(event):
    local_authority = Sector.objects.get(name="Local authority")
    for name, email, wants_reminder in [("Amina Hussain", "amina@example.org", True),
                                        ("Ben Ortiz", "ben@example.org", False)]:
        services.postcard_write(event=event, source=Postcard.Source.ONLINE, words=PostcardWords(
            name=name, email=email, organisation="Bradford Council", sector=local_authority,
            learnt="Life expectancy differs by years between wards.",
            commitment="Ask one community group to shape our next service change.",
            theme=Theme.objects.get(name="Maternity"), wants_reminder=wants_reminder, share_on_wall=True))


def test_organiser_pages(event, organiser, visit):
    orm(_postcards, event)
    page = visit.page(**LAPTOP)

    page.goto("/organise/")
    assert urlsplit(page.url).path == "/accounts/login/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    visit.check(page, "Sign in")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill("not-the-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("not correct")
    visit.check(page, "Sign in, wrong password")
    page.get_by_label("Password").fill("a-long-test-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path == "/organise/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
    visit.check(page, "Your events")

    base = f"/organise/events/{event.slug}/"
    for path, heading in [
        (base, event.title),
        (base + "postcards/", "Postcards"),
        (base + "postcards/paper/", "Type in paper postcards"),
        (base + "postcards/import/", "Import paper postcards"),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        visit.check(page, heading)

    # The paper form sent empty, with its error summary.
    page.goto(base + "postcards/paper/")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and type the next one").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    visit.check(page, "Paper postcard with errors")

    visit.assert_clean()
