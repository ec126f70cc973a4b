"""GOV.UK Notify's pages in a real headless Chromium, each checked with axe-core (tests/browser.py).

- An attendee on a phone, JavaScript off, chooses a text message, mistypes the number, corrects it, then
  changes to a printed letter from their postcard page.
- The same form with JavaScript on.
- An organiser opens the GOV.UK Notify page and the postcard list with a failed reminder and its fallback button.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from pledgecard.delivery.models import Message, NotifySettings
from pledgecard.pledges.models import Postcard

from .browser import LAPTOP, PHONE, orm
from .notify_standin import NotifyStandIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def standin(settings):
    server = NotifyStandIn().start()
    settings.NOTIFY_BASE_URL = server.url
    yield server
    server.stop()


def _connect(standin, alliance):
    service = standin.add_service()
    return NotifySettings.objects.create(
        alliance=alliance,
        api_key=standin.add_key(service),
        email_template_id=standin.add_template(service, "email", "((body))", "((subject))"),
        sms_template_id=standin.add_template(service, "sms", "((body))"),
        offer_sms=True,
        offer_letter=True,
        callback_token="browser-callback-token-0123456789",  # noqa: S106 - a test value
    )


def test_attendee_chooses_a_text_message_then_a_letter_without_javascript(event, standin, visit):
    orm(_connect, standin, event.alliance)
    page = visit.no_js_page(**PHONE)
    page.goto(f"/e/{event.slug}/")
    page.get_by_label("Your name").fill("Amina Hussain")
    page.get_by_label("Your email address").fill("amina@example.org")
    page.get_by_label("Your organisation").fill("Bradford Council")
    page.get_by_label("Local authority").check()
    page.get_by_label("What I learnt today").fill("Life expectancy differs by years between wards.")
    page.get_by_label("The one thing I will do differently", exact=True).fill("Ask one community group.")
    page.get_by_label("Yes, send it back to me by email").check()
    page.get_by_label("By text message").check()
    page.get_by_label("UK mobile number").fill("07700 90012")
    visit.check(page, "Postcard form with channels")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save my postcard").click()
    assert navigation.value.status == 400
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("link", name="Mobile number is too short")).to_have_attribute("href", "#phone")
    visit.check(page, "Postcard form with a bad number")
    page.get_by_label("UK mobile number").fill("07700 900123")
    with page.expect_navigation():
        page.get_by_role("button", name="Save my postcard").click()
    postcard = orm(Postcard.objects.get)
    assert urlsplit(page.url).path == f"/postcards/{postcard.public_id}/"
    expect(page.locator(".nhsuk-inset-text")).to_contain_text("by text message to 07700 900123")

    page.get_by_role("link", name="Change how it comes back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How your postcard comes back")
    visit.check(page, "How it comes back")
    page.get_by_label("As a printed letter in the post").check()
    page.get_by_label("Postal address").fill("Amina Hussain\n1 Town Hall Square\nBradford\nBD1 1HY")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".nhsuk-inset-text")).to_contain_text("as a printed letter to Amina Hussain")
    reminder = orm(lambda: Message.objects.get(kind=Message.Kind.POSTCARD_REMINDER))
    assert reminder.channel == "letter"
    visit.assert_clean()


def test_postcard_form_with_channels_and_javascript_on(event, standin, visit):
    orm(_connect, standin, event.alliance)
    page = visit.page(**PHONE)
    page.goto(f"/e/{event.slug}/")
    page.get_by_label("As a printed letter in the post").check()
    expect(page.get_by_label("Postal address")).to_be_visible()
    visit.check(page, "Postcard form, letter chosen")
    visit.assert_clean()


def test_organiser_sees_notify_settings_and_a_failed_reminder(event, organiser, standin, visit):
    def arrange():
        settings_row = _connect(standin, event.alliance)
        from tests.test_notify import write

        postcard = write(event, channel="sms", phone="447700900123", address="A Person\n1 Street\nTown\nBD1 1HY")
        Message.objects.filter(subject=postcard.subject).update(
            status=Message.Status.FAILED,
            provider_status="permanent-failure",
            last_error="GOV.UK Notify: the mobile number does not exist or cannot receive messages. "
            "Ask for a new mobile number.",
        )
        return settings_row

    settings_row = orm(arrange)
    page = visit.page(**LAPTOP)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill("a-long-test-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"/organise/alliances/{event.alliance.slug}/notify/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Email, text messages and letters")
    expect(page.get_by_text(f"ending in {settings_row.key_last4}", exact=True)).to_be_visible()
    assert settings_row.api_key[-36:] not in page.content()
    visit.check(page, "GOV.UK Notify settings")
    page.goto(f"/organise/events/{event.slug}/postcards/")
    expect(page.get_by_text("Ask for a new mobile number.")).to_be_visible()
    visit.check(page, "Postcards with a failed text message")
    with page.expect_navigation():
        page.get_by_role("button", name="Send by email instead").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("by email now")
    visit.assert_clean()
