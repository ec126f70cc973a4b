"""Printing for the day: badges and A6 postcards as tagged PDFs, for organisers only, four to an A4 sheet."""

import datetime as dt
import io

import pytest
import segno
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from pledgecard.core.models import AuditEntry, Role, Sector
from pledgecard.events import printing
from pledgecard.events.models import Event, Registration
from pledgecard.workshops.models import Placement, Programme, Session, Slot, Workshop

from .conftest import make_organiser

pytestmark = pytest.mark.django_db

PEOPLE = [  # name, organisation, sector, role
    ("Amina Hussain", "Bradford Council", "Local authority", "Public health lead"),
    ("Ben Okafor", "Bradford Teaching Hospitals NHS Foundation Trust", "NHS", "Ward manager"),
    ("Chloe Evans", "Carers' Resource", "Voluntary and community sector", ""),
    ("Dev Sharma", "West Yorkshire Police", "Police", "Inspector"),
    ("Ella Brown", "Bradford College", "Education", "Lecturer"),
]


def person(event, name, organisation="Org", sector="NHS", role="", status=Registration.Status.CONFIRMED):
    email = name.lower().replace(" ", ".") + "@example.org"
    return Registration.objects.create(event=event, name=name, email=email, organisation=organisation,
                                       role=role, sector=Sector.objects.get(name=sector), status=status)


@pytest.fixture
def people(event):
    confirmed = [person(event, n, o, s, r) for n, o, s, r in PEOPLE]
    person(event, "Wendy Waiting", "Waiting Org", status=Registration.Status.WAITING)
    person(event, "Carl Cancelled", "Cancelled Org", status=Registration.Status.CANCELLED)
    return confirmed


def pdf(response) -> PdfReader:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response["Cache-Control"]
    return PdfReader(io.BytesIO(response.content))


def text_of(reader: PdfReader) -> str:
    """The PDF's words, with line breaks (wrapped lines) as plain spaces."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def assert_accessible(reader: PdfReader, title: str):
    """Tagged (structure tree, marked), with its language and a title shown as the window title: PDF/UA-1."""
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == title
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]


def qr_urls(reader: PdfReader, candidates: list[str]) -> set:
    """The URLs whose QR codes are embedded in the PDF: each image's modules compared with segno's code for
    each candidate URL (same modules: any scanner reads the same URL); None for an image matching none."""
    wanted = {}
    for url in candidates:
        code = segno.make(url, error="m", micro=False)
        wanted[tuple(tuple(bool(v) for v in row) for row in code.matrix_iter(scale=1, border=4))] = url
    found = set()
    for page in reader.pages:
        for image in page.images:
            bitmap = image.image.convert("L")
            w, h = bitmap.size
            rows = tuple(tuple(bitmap.getpixel((x, y)) < 128 for x in range(w)) for y in range(h))
            found.add(wanted.get(rows))
    return found


URLS = ["badges.pdf", "postcards.pdf", "postcards-blank.pdf", ""]


# Who may print


@pytest.mark.parametrize("url", URLS)
def test_printing_needs_a_signed_in_organiser_of_the_event(client, event, people, url):
    address = f"/organise/events/{event.slug}/print/{url}"
    response = client.get(address)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_organiser(event.alliance, "facilitator@example.org", role=Role.FACILITATOR))
    assert client.get(address).status_code == 403
    other = Event.objects.create(alliance=event.alliance, slug="other", title="Other",
                                 date=dt.date(2030, 1, 1))
    from pledgecard.core.models import Alliance

    elsewhere = Alliance.objects.create(name="Elsewhere", slug="elsewhere", contact_email="e@example.org")
    client.force_login(make_organiser(elsewhere, "stranger@example.org"))
    assert client.get(address).status_code == 403
    assert client.get(f"/organise/events/{other.slug}/print/{url}").status_code == 403


# Badges


def test_badges_for_confirmed_people_four_to_a_sheet_tagged_with_names_organisations_and_sectors(
        organiser_client, event, people):
    reader = pdf(organiser_client.get(f"/organise/events/{event.slug}/print/badges.pdf"))
    assert len(reader.pages) == 2  # five people: two A4 sheets
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4 portrait, in points
    text = text_of(reader)
    for name, organisation, sector, role in PEOPLE:
        assert name in text and sector in text
        assert organisation in text
        assert role in text
    assert "Wendy Waiting" not in text and "Carl Cancelled" not in text
    assert_accessible(reader, "Badges – Test event")
    assert AuditEntry.objects.filter(action="print.badges", detail__people=5).exists()


def test_each_badge_qr_opens_that_persons_check_in_for_staff_only(organiser_client, event, people):
    reader = pdf(organiser_client.get(f"/organise/events/{event.slug}/print/badges.pdf"))
    expected = [settings.SITE_URL + f"/organise/events/{event.slug}/check-in/{p.public_id}/" for p in people]
    assert qr_urls(reader, expected) == set(expected)
    assert all(printing.registration_url(p) == u for p, u in zip(people, expected, strict=True))
    # A badge is worn in public: scanned by anyone else it asks them to sign in, and reveals nothing.
    response = Client().get(expected[0].removeprefix(settings.SITE_URL))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = organiser_client.get(expected[0].removeprefix(settings.SITE_URL))
    assert response.status_code == 200 and people[0].name in response.content.decode()


def test_badge_qr_is_in_the_html_before_rendering(event, people):
    [html] = printing.badges_html(event, printing.badges_for(event, people))
    for p in people:
        qr = printing.qr_img(printing.registration_url(p), f"QR code: opens the check-in of {p.name}")
        assert str(qr) in html
    assert '<html lang="en-GB">' in html and "<title>Badges – Test event</title>" in html


@pytest.fixture
def placed(event, people):
    """Everyone placed in two workshops, not yet published."""
    s1 = Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    s2 = Slot.objects.create(event=event, starts_at=dt.time(14, 45), ends_at=dt.time(15, 45))
    housing_workshop = Workshop.objects.create(event=event, title="Housing and health")
    housing = Session.objects.create(workshop=housing_workshop, slot=s1, capacity=10, room="Room 2")
    schools_workshop = Workshop.objects.create(event=event, title="Schools as hubs")
    schools = Session.objects.create(workshop=schools_workshop, slot=s2, capacity=10)
    for p in people:
        Placement.objects.create(registration=p, session=housing, rank=1)
        Placement.objects.create(registration=p, session=schools, rank=2)
    return Programme.objects.create(event=event)


def test_workshops_appear_on_badges_only_once_published(organiser_client, event, placed):
    text = text_of(pdf(organiser_client.get(f"/organise/events/{event.slug}/print/badges.pdf")))
    assert "Housing and health" not in text
    placed.published_at = timezone.now()
    placed.save()
    text = text_of(pdf(organiser_client.get(f"/organise/events/{event.slug}/print/badges.pdf")))
    assert text.count("13:30–14:30 Housing and health, Room 2") == len(PEOPLE)
    assert text.count("14:45–15:45 Schools as hubs") == len(PEOPLE)


@pytest.mark.parametrize("count, sheets", [(1, 1), (4, 1), (9, 3)])
def test_one_sheet_per_four_people_even_with_very_long_names(event, count, sheets):
    people = [person(event, f"Person {n:02d}", f"Organisation {n}") for n in range(count)]
    people[0].name = "Maximiliana Featherstonehaugh-Cholmondeley " * 3
    people[0].organisation = "The Very Long Named Integrated Care Partnership " * 4
    people[0].role = "Role " * 40
    reader = PdfReader(io.BytesIO(printing.badges_pdf(event, printing.badges_for(event, people))))
    assert len(reader.pages) == sheets
    assert "Person 01" in text_of(reader) if count > 1 else True


def test_long_lists_render_a_run_of_sheets_at_a_time_into_one_tagged_pdf(event, monkeypatch):
    monkeypatch.setattr(printing, "SHEETS_PER_RENDER", 1)
    people = [person(event, f"Person {n:02d}", f"Organisation {n}") for n in range(9)]
    badges = printing.badges_for(event, people)
    assert len(printing.badges_html(event, badges)) == 3
    reader = PdfReader(io.BytesIO(printing.badges_pdf(event, badges)))
    assert len(reader.pages) == 3
    assert_accessible(reader, "Badges – Test event")
    tagged_pages, figures = set(), 0

    def walk(node):
        nonlocal figures
        node = node.get_object()
        if "/Pg" in node:
            tagged_pages.add(node.raw_get("/Pg").idnum)
        if node.get("/S") == "/Figure":
            figures += 1
            assert node["/Alt"].startswith("QR code: opens the check-in of Person ")
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(reader.trailer["/Root"].raw_get("/StructTreeRoot"))
    assert tagged_pages == {page.indirect_reference.idnum for page in reader.pages}
    assert figures == 9  # every QR code is a figure with its alternative text
    assert qr_urls(reader, [printing.registration_url(p) for p in people]) == {
        printing.registration_url(p) for p in people}


def test_one_persons_badge_and_parts_of_a_long_list(organiser_client, event, people, monkeypatch):
    one = people[2]
    base = f"/organise/events/{event.slug}/print/badges.pdf"
    reader = pdf(organiser_client.get(f"{base}?registration={one.public_id}"))
    assert len(reader.pages) == 1
    text = text_of(reader)
    assert one.name in text and people[0].name not in text
    waiting = Registration.objects.get(name="Wendy Waiting")
    assert organiser_client.get(f"{base}?registration={waiting.public_id}").status_code == 404
    assert organiser_client.get(f"{base}?registration=not-a-uuid").status_code == 404

    monkeypatch.setattr(printing, "PART_SIZE", 2)
    text = text_of(pdf(organiser_client.get(f"{base}?part=2")))
    assert [n for n, *_ in PEOPLE if n in text] == ["Chloe Evans", "Dev Sharma"]
    for bad in ("4", "0", "x", "-1"):
        assert organiser_client.get(f"{base}?part={bad}").status_code == 404
    page = organiser_client.get(f"/organise/events/{event.slug}/print/").content.decode()
    assert "1 to 2: Amina Hussain to Ben Okafor" in page and "5 to 5: Ella Brown to Ella Brown" in page
    assert f"{base}?part=3" in page


def test_no_confirmed_people_means_no_badges_but_a_clear_message(organiser_client, event):
    response = organiser_client.get(f"/organise/events/{event.slug}/print/badges.pdf", follow=True)
    assert response.redirect_chain[-1][0] == f"/organise/events/{event.slug}/print/"
    assert "Nobody has a confirmed place yet" in response.content.decode()
    response = organiser_client.get(f"/organise/events/{event.slug}/print/postcards.pdf", follow=True)
    assert "Print blank postcards instead" in response.content.decode()


# Postcards


PROMPTS = ["What I learnt", "The one thing I will do differently", "The inequality I care about",
           "Send it back to me in six months", "pledge wall",
           "Name", "Email address", "Organisation", "Sector"]


def test_personal_postcards_carry_name_organisation_sector_and_page_qr(organiser_client, event, people):
    reader = pdf(organiser_client.get(f"/organise/events/{event.slug}/print/postcards.pdf"))
    assert len(reader.pages) == 2
    assert reader.pages[0].mediabox.width == pytest.approx(841.89, abs=0.5)  # A4 landscape
    text = text_of(reader)
    for name, organisation, sector, _ in PEOPLE:
        assert name in text and sector in text
        assert organisation in text
    assert "Wendy Waiting" not in text
    for prompt in PROMPTS:
        assert prompt in text
    assert_accessible(reader, "Postcards – Test event")
    url = settings.SITE_URL + f"/e/{event.slug}/"
    assert qr_urls(reader, [url]) == {url}  # one image, drawn on every card
    assert f"127.0.0.1:8000/e/{event.slug}/" in text or settings.SITE_URL.split("://")[-1] in text


def test_blank_postcards_one_sheet_or_as_many_as_asked(organiser_client, event):
    reader = pdf(organiser_client.get(f"/organise/events/{event.slug}/print/postcards-blank.pdf"))
    assert len(reader.pages) == 1
    text = text_of(reader)
    for prompt in PROMPTS:
        assert text.count(prompt) >= 4
    assert_accessible(reader, "Blank postcards – Test event")
    assert qr_urls(reader, [printing.postcard_page_url(event)]) == {printing.postcard_page_url(event)}
    reader = pdf(organiser_client.get(f"/organise/events/{event.slug}/print/postcards-blank.pdf?sheets=3"))
    assert len(reader.pages) == 3


@pytest.mark.parametrize("sheets, message", [
    ("0", "Print at least 1 sheet"), ("abc", "Enter a whole number of sheets"), ("", "Enter how many sheets"),
    ("501", "Print at most 500 sheets"), ("1e9", "Enter a whole number of sheets"),
])
def test_blank_postcards_bad_sheet_counts_are_explained(organiser_client, event, sheets, message):
    address = f"/organise/events/{event.slug}/print/postcards-blank.pdf"
    response = organiser_client.get(address, {"sheets": sheets})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "There is a problem" in page


# The organiser's page and the layout rules


def test_print_page_lists_the_downloads(organiser_client, event, people):
    page = organiser_client.get(f"/organise/events/{event.slug}/print/").content.decode()
    assert "Print badges and postcards" in page
    assert "5 people have a confirmed place" in page
    for url in ("badges.pdf", "postcards.pdf", "postcards-blank.pdf"):
        assert f"/organise/events/{event.slug}/print/{url}" in page
    assert "Download badges (PDF, 2 sheets)" in page
    assert "publish workshop places" in page
    assert "print in parts" not in page


def test_cut_and_stack_keeps_name_order_after_cutting():
    for n in range(0, 23):
        items = list(range(n))
        sheets = printing.cut_and_stack(items)
        assert all(len(sheet) == 4 for sheet in sheets)
        assert len(sheets) == max(1, -(-n // 4))
        piles = [[sheet[slot] for sheet in sheets] for slot in range(4)]  # cut the stack: four piles
        assert [i for pile in piles for i in pile if i is not None] == items


def test_every_sector_has_its_own_colour_with_readable_text_and_its_name():
    bands = [printing.sector_band(s.name, s.position) for s in Sector.objects.all()]
    assert len({b.background for b in bands}) == len(bands) == 8
    for band in bands:
        assert band.name
        assert printing.contrast(band.background, band.text) >= 4.5
    new = printing.sector_band("Fire and rescue", 9)
    assert new.background in printing.PALETTE.values() and printing.contrast(new.background, new.text) >= 4.5
    assert printing.sector_band("").background == printing.NEUTRAL
