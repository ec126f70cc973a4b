"""An organiser erases a person in a real browser: find, the confirming page, erase; axe on every page, with
JavaScript off and on. See test_browser.py for why database work goes through `orm()`."""

import pytest
from playwright.sync_api import expect

from pledgecard.pledges.models import Postcard

from . import people_world as pw
from .browser import LAPTOP, PHONE, SCREENSHOTS, orm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _sign_in(page, organiser):
    page.goto("/accounts/login/?next=/organise/people/")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill("a-long-test-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_organiser_erases_a_person_after_a_confirming_step(alliance, organiser, visit, javascript):
    orm(pw.build, alliance)
    page = (visit.page if javascript else visit.no_js_page)(**(LAPTOP if javascript else PHONE))
    _sign_in(page, organiser)
    expect(page.get_by_role("heading", level=1)).to_have_text("A person's data")
    visit.check(page, "A person's data")

    with page.expect_navigation():
        page.get_by_role("button", name="Find what we hold").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter their email address")
    visit.check(page, "Find, with an error")

    page.get_by_label("Their email address").fill(pw.EMAIL.upper())
    with page.expect_navigation():
        page.get_by_role("button", name="Find what we hold").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What we hold about this address")
    expect(page.get_by_role("heading", name="Postcards (2)")).to_be_visible()
    visit.check(page, "What we hold")

    with page.expect_navigation():
        page.get_by_role("button", name="Erase this person…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase everything about this person?")
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    visit.check(page, "Confirm the erasure")
    page.screenshot(
        path=SCREENSHOTS / f"pledgecard-erase-confirm-{'js' if javascript else 'no-js'}.png", full_page=True
    )
    assert orm(lambda: Postcard.objects.filter(email__iexact=pw.EMAIL).count()) == 2  # nothing gone yet

    with page.expect_navigation():
        page.get_by_role("button", name=f"Erase everything about {pw.EMAIL.upper()}").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Erased: what Test Alliance held")
    visit.check(page, "Erased")
    assert orm(lambda: Postcard.objects.filter(email__iexact=pw.EMAIL).count()) == 0

    page.goto(f"/organise/alliances/{alliance.slug}/audit/")
    expect(page.get_by_role("cell", name="Erased a person", exact=False)).to_be_visible()
    visit.check(page, "Audit log")
    visit.assert_clean()
