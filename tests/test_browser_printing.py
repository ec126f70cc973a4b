"""Printing in a real browser without JavaScript, axe-core on every page: the print page starts a job, the
job's page says how far it has got and is looked at again by its link, and the finished page offers the PDF.
Uses the harness in tests/browser.py (Chromium, loopback only, `orm()`)."""

import io
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from pledgecard.core import jobs
from pledgecard.core.models import Sector
from pledgecard.events.models import Registration

from .browser import LAPTOP, orm
from .test_browser_day import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _people(event):
    nhs = Sector.objects.get(name="NHS")
    for n in range(6):
        Registration.objects.create(event=event, name=f"Person {n}", email=f"p{n}@example.org",
                                    organisation="Bradford Council", sector=nhs,
                                    status=Registration.Status.CONFIRMED)


def test_organiser_prepares_badges_and_downloads_them_without_javascript(event, organiser, settings,
                                                                          live_server, visit):
    settings.SITE_URL = live_server.url
    orm(_people, event)
    page = visit.no_js_page(**LAPTOP)
    sign_in(page, visit, organiser.email)

    assert page.goto(f"/organise/events/{event.slug}/print/").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Print badges and postcards")
    visit.check(page, "Print page")
    with page.expect_navigation():
        page.get_by_role("button", name="Prepare badges (PDF, 2 sheets)").click()
    assert urlsplit(page.url).path.startswith("/organise/jobs/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Working on it")
    expect(page.get_by_role("status")).to_contain_text("Waiting to start")
    visit.check(page, "Print job waiting")

    assert orm(jobs.jobs_run_due) == 1  # the worker's next sweep
    with page.expect_navigation():
        page.get_by_role("link", name="See how far it has got").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Done")
    expect(page.locator("main")).to_contain_text("badges for 6 people (2 sheets) is ready")
    visit.check(page, "Print job done")
    link = page.get_by_role("link", name="Download badges (PDF,")
    with page.expect_download() as download:
        link.click()
    data = open(download.value.path(), "rb").read()  # noqa: PTH123, SIM115 - Playwright's temporary file
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 2 and "Person 5" in text
    visit.assert_clean()
