"""The insights pages in a real browser (Chromium through Playwright, loopback only), with axe-core on each
page, JavaScript off and on: a leader reads the alliance's and an event's figures; an organiser edits the
theme words and turns the public impact page on, which an anonymous visitor then opens."""

import pytest
from playwright.sync_api import expect

from pledgecard.core.models import Role

from . import insights_world
from .browser import LAPTOP, PHONE, SCREENSHOTS, orm
from .conftest import make_organiser
from .test_browser_day import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _world():
    world = insights_world.build()
    make_organiser(world.alliance, email="leader@example.org", role=Role.LEADER)
    make_organiser(world.alliance, email="organiser@example.org")
    return world.alliance.slug, [e.slug for e in world.events]


def _read_the_figures(page, visit, alliance, events, label):
    page.goto("/organise/")
    expect(
        page.get_by_role(
            "link", name="Insights: what people pledged, did and who they met, across all events"
        )
    ).to_be_visible()
    visit.check(page, f"Leader's home ({label})")

    response = page.goto(f"/organise/alliances/{alliance}/insights/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights: the movement")
    # Every chart is an image with a name, and its figures are in a table behind it.
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 8
    for i in range(charts.count()):
        assert charts.nth(i).get_attribute("aria-labelledby")
    page.get_by_text("The figures in this chart, as a table").first.click()
    expect(page.get_by_role("table", name="From registration to a refreshed pledge")).to_be_visible()
    expect(page.locator("td", has_text="fewer than 5").first).to_be_attached()
    visit.check(page, f"Alliance insights ({label})")
    page.screenshot(path=SCREENSHOTS / f"pledgecard-insights-alliance-{label}.png", full_page=True)

    # The period filter, sent as a plain form.
    page.get_by_label("Period").select_option("2024")
    with page.expect_navigation():
        page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("heading", name="At a glance: events in 2024")).to_be_visible()
    visit.check(page, f"Alliance insights for 2024 ({label})")

    page.get_by_text("Figures for one event").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Autumn 2024, 5 November 2024").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights: Autumn 2024")
    expect(page.get_by_role("heading", name="Workshops")).to_be_visible()
    visit.check(page, f"Event insights ({label})")
    page.screenshot(path=SCREENSHOTS / f"pledgecard-insights-event-{label}.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == f"{events[1]}-insights.csv"


def test_a_leader_reads_the_insights_without_javascript(live_server, visit):
    alliance, events = orm(_world)
    page = visit.no_js_page(**PHONE)
    sign_in(page, visit, "leader@example.org")
    _read_the_figures(page, visit, alliance, events, "no-js")
    visit.assert_clean()


def test_a_leader_reads_the_insights_with_javascript(live_server, visit):
    alliance, events = orm(_world)
    page = visit.page(**LAPTOP)
    sign_in(page, visit, "leader@example.org")
    _read_the_figures(page, visit, alliance, events, "js")
    visit.assert_clean()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_an_organiser_edits_theme_words_and_publishes_the_impact_page(live_server, visit, javascript):
    alliance, _ = orm(_world)
    page = visit.page(**LAPTOP) if javascript else visit.no_js_page(**LAPTOP)
    sign_in(page, visit, "organiser@example.org")

    page.goto(f"/organise/alliances/{alliance}/insights/")
    expect(page.get_by_text("You are an organiser, so you see exact counts.")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Change the words that suggest a theme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Words that suggest a theme")
    visit.check(page, "Theme words")
    page.get_by_label("Hypertension").fill("blood pressure, bp")
    with page.expect_navigation():
        page.get_by_role("button", name="Save theme words").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("“bp” is too short")
    visit.check(page, "Theme words with an error")
    page.get_by_label("Hypertension").fill("blood pressure, hypertens")
    with page.expect_navigation():
        page.get_by_role("button", name="Save theme words").click()
    expect(page.get_by_text("Theme words saved")).to_be_visible()

    page.goto(f"/organise/alliances/{alliance}/insights/impact-page/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Public impact page")
    visit.check(page, "Impact page settings")
    page.get_by_label("Yes, anyone with the link can see it").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The public impact page is on.")).to_be_visible()

    visitor = visit.page(**PHONE) if javascript else visit.no_js_page(**PHONE)
    response = visitor.goto(f"/impact/{alliance}/")
    assert response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Our impact")
    visit.check(visitor, "Public impact page")
    visit.assert_clean()
