"""Stories, short links and the pledge wall in a real headless Chromium, every page checked with axe-core.

- Someone on a phone with JavaScript off sends a story with a picture (first with mistakes); an organiser
  (JavaScript on) returns it with a note; the author opens the emailed link in a fresh browser, changes it and
  sends it again; the organiser publishes it; it is on the public page.
- The story form with JavaScript on.
- Short links: followed from the event page with JavaScript off and on (counted for a person's browser, not
  for a headless one), and the helpful page for an unknown code; the organiser's resource and link pages.
- The pledge wall: the organiser publishes in bulk, a visitor reports a pledge with JavaScript off.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from pledgecard.delivery.sending import deliver_due
from pledgecard.pledges.models import Postcard
from pledgecard.resources import services as resources
from pledgecard.resources.models import LinkClickDay
from pledgecard.stories.models import Story

from .browser import LAPTOP, PHONE, SCREENSHOTS, orm
from .makers import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# What an ordinary phone browser says; Chromium in headless mode says "HeadlessChrome", which link scanners
# use.
PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def sign_in(page, email, password="a-long-test-password"):  # noqa: S107 - a test account
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_story_submitted_returned_changed_and_published(
    alliance, organiser, smtp, settings, live_server, visit, tmp_path
):
    settings.SITE_URL = live_server.url
    page = visit.no_js_page(**PHONE)
    page.goto(f"/stories/{alliance.slug}/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us your story")
    visit.check(page, "Story form")

    with page.expect_navigation() as sent_empty:
        page.get_by_role("button", name="Send my story").click()
    assert sent_empty.value.status == 400
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("link", name="Enter a title for your story")).to_have_attribute(
        "href", "#title"
    )
    expect(summary.get_by_role("link", name="Select how we may publish your story")).to_be_visible()
    visit.check(page, "Story form with errors")

    picture = tmp_path / "open-day.png"
    picture.write_bytes(png_bytes((120, 80)))
    page.get_by_label("Title").fill("Asking the mosque first")
    page.get_by_label("Your story").fill(
        "We asked the committee first.\n\nFourteen people came to the evening."
    )
    page.get_by_label("Hypertension").check()
    page.get_by_label("A picture (optional)").set_input_files(str(picture))
    page.get_by_label("Describe the picture (if you add one)").fill(
        "People queueing for a blood pressure check"
    )
    page.get_by_label("Your name").fill("Saima Hussain")
    page.get_by_label("Your organisation (optional)").fill("Bradford Teaching Hospitals")
    page.get_by_label("Your email address").fill("saima@example.org")
    page.get_by_label("Publish it with my name and organisation").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send my story").click()
    story = orm(Story.objects.get)
    assert urlsplit(page.url).path == f"/my-story/{story.public_id}/"
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("We have your story")
    expect(page.locator(".nhsuk-tag")).to_have_text("Waiting for an organiser")
    expect(page.get_by_role("img", name="People queueing for a blood pressure check")).to_be_visible()
    visit.check(page, "Your story, waiting")
    page.screenshot(path=SCREENSHOTS / "pledgecard-story-sent.png", full_page=True)

    # The organiser (JavaScript on) reads it and returns it with a note.
    desk = visit.page(**LAPTOP)
    sign_in(desk, organiser.email)
    desk.goto(f"/organise/alliances/{alliance.slug}/stories/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Stories to moderate")
    visit.check(desk, "Stories to moderate")
    desk.get_by_role("link", name="Asking the mosque first").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Asking the mosque first")
    visit.check(desk, "Story review")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Return to the author").click()
    expect(desk.locator(".nhsuk-error-summary")).to_be_focused()
    visit.check(desk, "Story review with errors")
    desk.get_by_label("What should the author change?").fill(
        "Could you say which ward, and what changes next?"
    )
    with desk.expect_navigation():
        desk.get_by_role("button", name="Return to the author").click()
    expect(desk.locator(".nhsuk-notification-banner")).to_contain_text("is returned to its author")

    # The author gets the note by email (the real SMTP server) and opens the link on another device.
    orm(deliver_due)
    returned = [r.message for r in smtp.received if "A question about your story" in r.message["Subject"]]
    assert len(returned) == 1
    text = returned[0].get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/s/\S+/)", text).group(1)
    phone = visit.no_js_page(**PHONE)
    phone.goto(link)
    assert urlsplit(phone.url).path == f"/my-story/{story.public_id}/"
    expect(phone.get_by_text("Could you say which ward, and what changes next?")).to_be_visible()
    expect(phone.get_by_label("Title")).to_have_value("Asking the mosque first")
    visit.check(phone, "Returned story, to change")
    phone.get_by_label("Your story").fill(
        "We asked the committee in Manningham first.\n\nNext: two more wards."
    )
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my story again").click()
    expect(phone.locator(".nhsuk-notification-banner")).to_contain_text("Your story is sent again")
    visit.check(phone, "Story sent again")

    # Published: the author is told, and everyone can read it.
    desk.goto(f"/organise/alliances/{alliance.slug}/stories/{story.public_id}/")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Publish", exact=True).click()
    expect(desk.locator(".nhsuk-notification-banner")).to_contain_text("is published")
    visit.check(desk, "Stories to moderate after publishing")
    orm(deliver_due)
    assert any(
        r.message["Subject"] == "Your story is published: Asking the mosque first" for r in smtp.received
    )

    reader = visit.no_js_page(**PHONE)
    reader.goto(f"/stories/{alliance.slug}/")
    expect(reader.get_by_role("heading", level=1)).to_have_text("Stories")
    visit.check(reader, "Stories page")
    reader.get_by_role("link", name="Asking the mosque first").click()
    expect(reader.get_by_text("Saima Hussain, Bradford Teaching Hospitals")).to_be_visible()
    expect(reader.get_by_text("Next: two more wards.")).to_be_visible()
    visit.check(reader, "A published story")
    visit.assert_clean()


def test_story_form_with_javascript(alliance, visit):
    page = visit.page(**PHONE)
    page.goto(f"/stories/{alliance.slug}/new/")
    expect(page.locator("body")).to_have_class(re.compile(r"\bnhsuk-frontend-supported\b"))
    status = page.locator("#text ~ .nhsuk-character-count__status")
    expect(status).to_have_text(re.compile(r"You have 10,?000 characters remaining"))
    visit.check(page, "Story form (JavaScript on)")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my story").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    visit.check(page, "Story form with errors (JavaScript on)")
    visit.assert_clean()


def _link_to_the_stories_page(event, live_server):
    details = resources.ResourceDetails(
        title="Stories from the alliance",
        summary="What colleagues did next.",
        version="",
        themes=[],
        external_url=f"{live_server.url}/stories/{event.alliance.slug}/",
    )
    return resources.resource_create(alliance=event.alliance, details=details, code="OurStories")


def _clicks():
    return sum(LinkClickDay.objects.values_list("clicks", flat=True))


def test_following_a_short_link_from_the_event_page(event, organiser, live_server, visit):
    orm(_link_to_the_stories_page, event, live_server)
    for with_js in (False, True):
        options = {**PHONE, "user_agent": PHONE_BROWSER}
        page = visit.page(**options) if with_js else visit.no_js_page(**options)
        page.goto(f"/events/{event.slug}/")
        label = f"Event page with resources (JavaScript {'on' if with_js else 'off'})"
        expect(page.get_by_role("heading", name="Read and share")).to_be_visible()
        visit.check(page, label)
        before = orm(_clicks)
        with page.expect_navigation():
            page.get_by_role("link", name="Stories from the alliance").click()
        assert urlsplit(page.url).path == f"/stories/{event.alliance.slug}/"
        assert orm(_clicks) == before + 1

    # Chromium's own headless user agent is what link scanners send: followed, not counted.
    headless = visit.no_js_page(**PHONE)
    before = orm(_clicks)
    headless.goto("/go/ourstories")
    assert urlsplit(headless.url).path == f"/stories/{event.alliance.slug}/"
    assert orm(_clicks) == before

    missing = visit.no_js_page(**PHONE)
    response = missing.goto("/go/0urStor1es")
    assert response.status == 404
    expect(missing.get_by_role("heading", level=1)).to_have_text("There is no short link with that code")
    visit.check(missing, "Unknown short link")

    # The organiser's pages: resources, a new resource with mistakes, the link with its clicks and QR code.
    desk = visit.page(**LAPTOP)
    sign_in(desk, organiser.email)
    base = f"/organise/alliances/{event.alliance.slug}"
    desk.goto(f"{base}/resources/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Resources and short links")
    visit.check(desk, "Resources and short links")
    desk.goto(f"{base}/resources/new/")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Add resource").click()
    expect(desk.locator(".nhsuk-error-summary")).to_contain_text("Enter the title of the resource")
    visit.check(desk, "Add a resource, with errors")
    desk.goto(f"{base}/links/OurStories/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Short link /go/OurStories")
    expect(desk.get_by_role("img", name=re.compile("QR code that opens"))).to_be_visible()
    visit.check(desk, "A short link")
    visit.assert_clean()


def _shared_pledges(event, client_data):
    from django.test import Client

    for n in range(3):
        assert (
            Client()
            .post(
                f"/e/{event.slug}/",
                client_data(name=f"W{n}", email=f"w{n}@example.org", commitment=f"Pledge {n}"),
            )
            .status_code
            == 302
        )


def test_wall_moderated_in_bulk_and_a_visitor_reports(event, organiser, live_server, visit):
    from .conftest import postcard_data

    orm(_shared_pledges, event, postcard_data)
    desk = visit.page(**LAPTOP)
    sign_in(desk, organiser.email)
    desk.goto(f"/organise/events/{event.slug}/wall/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Pledge wall")
    visit.check(desk, "Pledge wall moderation")
    desk.get_by_label("Select the pledge “Pledge 0”").check()
    desk.get_by_label("Select the pledge “Pledge 1”").check()
    with desk.expect_navigation():
        desk.get_by_role("button", name="Publish selected").click()
    expect(desk.locator(".nhsuk-notification-banner")).to_contain_text("2 pledges published")
    visit.check(desk, "Pledge wall moderation after publishing")

    visitor = visit.no_js_page(**PHONE)
    visitor.goto(f"/e/{event.slug}/wall/")
    cards = visitor.locator(".nhsuk-card__description")
    expect(cards).to_have_text(["Pledge 1", "Pledge 0"])  # newest first; Pledge 2 still waits
    visit.check(visitor, "Pledge wall")
    with visitor.expect_navigation():
        visitor.get_by_role("button", name=re.compile(r"Report this pledge\s*: Pledge 1")).click()
    expect(visitor.locator(".nhsuk-notification-banner")).to_contain_text("hidden until an organiser")
    expect(cards).to_have_text(["Pledge 0"])
    visit.check(visitor, "Pledge wall after a report")
    assert orm(lambda: Postcard.objects.get(commitment="Pledge 1").wall_reported_at) is not None

    desk.goto(f"/organise/events/{event.slug}/wall/")
    expect(desk.get_by_text("1 reported by visitors")).to_be_visible()
    visit.check(desk, "Pledge wall moderation with a report")
    visit.assert_clean()
