"""Printing for the day: badges and A6 postcards as tagged PDFs, for organisers only, four to an A4 sheet."""

import datetime as dt
import io
from xml.etree import ElementTree

import pytest
import segno
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from pledgecard.core.models import AuditEntry, Job, Role, Sector
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
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return PdfReader(io.BytesIO(body))


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


def printed(client, event, what="badges", **fields):
    """Start a print job from the print page, let the worker run it, and download its file."""
    from pledgecard.core import jobs

    response = client.post(f"/organise/events/{event.slug}/print/start/", {"what": what, **fields})
    assert response.status_code == 302 and response["Location"].startswith("/organise/jobs/"), response
    assert jobs.jobs_run_due() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Done" in page, page
    job = Job.objects.get(pk=response["Location"].split("/")[-2])
    assert job.status == Job.Status.DONE, job.result
    assert job.result["next_url"] in page
    return client.get(job.result["next_url"])


URLS = ["badges.pdf", "postcards.pdf", ""]


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
    reader = pdf(printed(organiser_client, event, "badges"))
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
    reader = pdf(printed(organiser_client, event, "badges"))
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
    text = text_of(pdf(printed(organiser_client, event, "badges")))
    assert "Housing and health" not in text
    placed.published_at = timezone.now()
    placed.save()
    text = text_of(pdf(printed(organiser_client, event, "badges")))
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


def test_long_lists_are_made_in_parts_joined_into_one_tagged_pdf(organiser_client, event, monkeypatch):
    """One sheet a part: three PDFs joined, and the structure tree still covers every page and every QR code
    (a screen reader finds each card's words and each code's alternative text, whichever part it came
    from)."""
    monkeypatch.setattr(printing, "SHEETS_PER_RENDER", 1)
    people = [person(event, f"Person {n:02d}", f"Organisation {n}") for n in range(9)]
    assert len(printing.badges_run(event, printing.badges_for(event, people))) == 3
    reader = pdf(printed(organiser_client, event, "badges"))
    assert len(reader.pages) == 3
    assert_accessible(reader, "Badges – Test event")
    tagged_pages, figures, names = set(), 0, []

    def walk(node):
        nonlocal figures
        node = node.get_object()
        if "/Pg" in node:
            tagged_pages.add(node.raw_get("/Pg").idnum)
        if node.get("/S") == "/Figure":
            figures += 1
            assert node["/Alt"].startswith("QR code: opens the check-in of Person ")
        if node.get("/S") == "/H1":
            names.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    root = reader.trailer["/Root"]["/StructTreeRoot"]
    [document] = root["/K"] if isinstance(root["/K"], list) else [root["/K"]]
    assert document.get_object()["/S"] == "/Document"  # one document, not three side by side
    walk(root)
    assert tagged_pages == {page.indirect_reference.idnum for page in reader.pages}
    assert figures == 9  # every QR code is a figure with its alternative text
    assert len(names) == 9  # every name is a heading
    # Each page's marked content finds its elements through the parent tree, under its own key.
    keys = [int(page["/StructParents"]) for page in reader.pages]
    nums = root["/ParentTree"]["/Nums"]
    assert sorted(keys) == sorted(int(k) for k in nums[::2]) and len(set(keys)) == 3
    assert qr_urls(reader, [printing.registration_url(p) for p in people]) == {
        printing.registration_url(p) for p in people}


def test_one_persons_badge_or_postcard_is_made_at_once(organiser_client, event, people):
    one = people[2]
    base = f"/organise/events/{event.slug}/print/badges.pdf"
    reader = pdf(organiser_client.get(f"{base}?registration={one.public_id}"))
    assert len(reader.pages) == 1
    text = text_of(reader)
    assert one.name in text and people[0].name not in text
    assert_accessible(reader, "Badges – Test event")
    waiting = Registration.objects.get(name="Wendy Waiting")
    assert organiser_client.get(f"{base}?registration={waiting.public_id}").status_code == 404
    assert organiser_client.get(f"{base}?registration=not-a-uuid").status_code == 404
    postcard = f"/organise/events/{event.slug}/print/postcards.pdf?registration={one.public_id}"
    reader = pdf(organiser_client.get(postcard))
    assert one.name in text_of(reader) and len(reader.pages) == 1
    # A whole list is never made inside the request: the address sends the organiser to the print page.
    response = organiser_client.get(base)
    assert response.status_code == 302 and response["Location"] == f"/organise/events/{event.slug}/print/"
    assert not Job.objects.exists()


def test_no_confirmed_people_means_no_badges_but_a_clear_message(organiser_client, event):
    for what in ("badges", "postcards"):
        response = organiser_client.post(f"/organise/events/{event.slug}/print/start/", {"what": what},
                                         follow=True)
        assert response.redirect_chain[-1][0] == f"/organise/events/{event.slug}/print/"
        page = response.content.decode()
        assert "Nobody has a confirmed place yet" in page and "Print blank postcards instead" in page
    assert not Job.objects.exists()
    response = organiser_client.post(f"/organise/events/{event.slug}/print/start/", {"what": "nonsense"})
    assert response.status_code == 302 and not Job.objects.exists()


# Postcards


PROMPTS = ["What I learnt", "The one thing I will do differently", "The inequality I care about",
           "Send it back to me in six months", "pledge wall",
           "Name", "Email address", "Organisation", "Sector"]


def test_personal_postcards_carry_name_organisation_sector_and_page_qr(organiser_client, event, people):
    reader = pdf(printed(organiser_client, event, "postcards"))
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
    reader = pdf(printed(organiser_client, event, "blank_postcards", sheets="1"))
    assert len(reader.pages) == 1
    text = text_of(reader)
    for prompt in PROMPTS:
        assert text.count(prompt) >= 4
    assert_accessible(reader, "Blank postcards – Test event")
    assert qr_urls(reader, [printing.postcard_page_url(event)]) == {printing.postcard_page_url(event)}
    reader = pdf(printed(organiser_client, event, "blank_postcards", sheets="3"))
    assert len(reader.pages) == 3


@pytest.mark.parametrize("sheets, message", [
    ("0", "Print at least 1 sheet"), ("abc", "Enter a whole number of sheets"), ("", "Enter how many sheets"),
    ("501", "Print at most 500 sheets"), ("1e9", "Enter a whole number of sheets"),
])
def test_blank_postcards_bad_sheet_counts_are_explained(organiser_client, event, sheets, message):
    address = f"/organise/events/{event.slug}/print/start/"
    response = organiser_client.post(address, {"what": "blank_postcards", "sheets": sheets})
    assert response.status_code == 400 and not Job.objects.exists()
    page = response.content.decode()
    assert message in page and "There is a problem" in page


# The organiser's page and the layout rules


def test_print_page_offers_each_print(organiser_client, event, people):
    page = organiser_client.get(f"/organise/events/{event.slug}/print/").content.decode()
    assert "Print badges and postcards" in page
    assert "5 people have a confirmed place" in page
    assert f'action="/organise/events/{event.slug}/print/start/"' in page
    for what in ("badges", "postcards", "blank_postcards", "room_lists"):
        assert f'name="what" value="{what}"' in page
    assert "Prepare badges (PDF, 2 sheets)" in page
    assert "publish workshop places" in page


def test_cut_and_stack_keeps_name_order_after_cutting():
    for n in range(0, 23):
        items = list(range(n))
        sheets = printing.cut_and_stack(items)
        assert all(len(sheet) == 4 for sheet in sheets)
        assert len(sheets) == max(1, -(-n // 4))
        piles = [[sheet[slot] for sheet in sheets] for slot in range(4)]  # cut the stack: four piles
        assert [i for pile in piles for i in pile if i is not None] == items


def test_the_garbage_collector_is_paused_for_a_part_and_on_again_after_it(monkeypatch):
    """html_to_pdf turns Python's cyclic collector off while WeasyPrint works, and always back on (a worker
    left without it would keep every cycle it ever made), also when a part fails."""
    import gc

    seen = []
    real = printing.render
    monkeypatch.setattr(printing, "render", lambda html: (seen.append(gc.isenabled()), real(html))[1])
    event = Event(slug="gc", title="Collected", date=dt.date(2030, 1, 1))
    assert gc.isenabled()
    assert printing.html_to_pdf(printing.postcards_html(event, sheets=1)).startswith(b"%PDF")
    assert seen == [False] and gc.isenabled()

    def fails(html):
        raise RuntimeError("a part that cannot be laid out")

    monkeypatch.setattr(printing, "render", fails)
    with pytest.raises(RuntimeError):
        printing.html_to_pdf(["<p>x</p>"])
    assert gc.isenabled()


def test_print_documents_are_parsed_as_xml_with_any_words_an_attendee_brings():
    """Print documents are parsed by expat (printing.PrintHTML): markup characters in people's words are
    printed as they are, and control characters an import may bring, which XML does not allow, are dropped
    instead of stopping the print."""
    event = Event(slug="xml", title="Health & <care> \"together\"", date=dt.date(2030, 1, 1))
    badge = printing.Badge("Zoë O'Neill & <Co>\x0b", "A&B's \x01Trust", "", printing.sector_band("NHS"),
                           "https://example.org/?a=1&b=2")
    reader = PdfReader(io.BytesIO(printing.badges_pdf(event, [badge])))
    text = text_of(reader)
    assert "Zoë O'Neill & <Co>" in text and "A&B's Trust" in text and 'Health & <care> "together"' in text
    assert reader.metadata.title == 'Badges – Health & <care> "together"'
    assert qr_urls(reader, ["https://example.org/?a=1&b=2"]) == {"https://example.org/?a=1&b=2"}
    with pytest.raises(ElementTree.ParseError):  # the templates' HTML must stay well-formed XML
        printing.html_to_pdf(["<p>unclosed<br></p>"])


def test_page_references_kept_by_page_count_follow_every_page_added():
    """printing keeps pydyf's list of page references until a page is added: always the pages there are."""
    import pydyf

    printing._print_html_class()  # installs it
    pdf, pages = pydyf.PDF(), []
    for _ in range(3):
        assert pdf.page_references == tuple(f"{page.number} 0 R".encode() for page in pages)
        pages.append(pydyf.Dictionary({"Type": "/Page"}))
        pdf.add_page(pages[-1])
    assert pdf.page_references == tuple(f"{page.number} 0 R".encode() for page in pages)
    assert len(pdf.page_references) == 3 and pdf.page_references is pdf.page_references


def test_line_properties_are_every_style_weasyprint_reads_to_break_and_draw_a_line():
    """printing keeps a line's layout and its drawing for the same text and LINE_PROPERTIES: these must be
    every computed property the installed WeasyPrint reads to break and draw a line of text (drawing's
    colour, decorations and visibility are looked at apart)."""
    import inspect
    import re

    from weasyprint.draw import text as draw
    from weasyprint.text import fonts, line_break

    sources = [inspect.getsource(line_break), inspect.getsource(fonts.get_font_description),
               inspect.getsource(draw.draw_first_line), inspect.getsource(draw.draw_text)]
    read = {name for source in sources for name in re.findall(r"style\[['\"](\w+)['\"]\]", source)}
    apart = {"color", "visibility", "text_decoration_line", "text_decoration_color",
             "text_decoration_thickness", "text_underline_offset"}
    assert read - apart <= set(printing.LINE_PROPERTIES)


def test_lines_kept_once_a_document_print_what_weasyprint_prints(monkeypatch):
    """The same pages, byte for byte, with WeasyPrint making and drawing every line itself: words on every
    card, words on a few, long words that wrap or are cut, the same words in other sizes, weights, widths and
    decorations."""
    import pikepdf
    import weasyprint.draw
    import weasyprint.layout.inline

    event = Event(slug="same", title="Reducing health inequalities together", date=dt.date(2030, 3, 5))
    workshops = [printing.WorkshopLine(dt.time(11), dt.time(12), "Housing and health", "Room 2")]
    badges = [printing.Badge(name, org, role, printing.sector_band(sector), f"https://example.org/r/{i}/",
                             workshops if i % 2 else [])
              for i, (name, org, sector, role) in enumerate(PEOPLE * 3 + [
                  ("Bartholomew Featherstonehaugh-Wright Ní Bhriain", "A" * 80, "Other", "Lead " * 20)])]
    people = [printing.PostcardPerson(name, org * (i % 3 + 1), sector)
              for i, (name, org, sector, _) in enumerate(PEOPLE * 3)]
    documents = [*printing.badges_html(event, badges), *printing.postcards_html(event, people),
                 '<html lang="en"><body>' + 2 * (
                     '<p>Same words</p><p style="font-size: 20pt">Same words</p><p><b>Same words</b></p>'
                     '<p style="width: 12mm">Same words</p>'
                     '<p style="text-decoration: underline">Same words</p>'
                     '<p style="letter-spacing: 1pt">Same words</p>') + '</body></html>']

    def pages(pdf: bytes) -> list:
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            return [page.Contents.read_bytes() for page in opened.pages]

    kept = [pages(printing.html_to_pdf([html])) for html in documents]
    monkeypatch.setattr(weasyprint.layout.inline, "split_first_line", printing.WEASYPRINT["split_first_line"])
    monkeypatch.setattr(weasyprint.draw, "draw_text", printing.WEASYPRINT["draw_text"])
    assert kept == [pages(printing.html_to_pdf([html])) for html in documents]


def test_every_sector_has_its_own_colour_with_readable_text_and_its_name():
    bands = [printing.sector_band(s.name, s.position) for s in Sector.objects.all()]
    assert len({b.background for b in bands}) == len(bands) == 8
    for band in bands:
        assert band.name
        assert printing.contrast(band.background, band.text) >= 4.5
    new = printing.sector_band("Fire and rescue", 9)
    assert new.background in printing.PALETTE.values() and printing.contrast(new.background, new.text) >= 4.5
    assert printing.sector_band("").background == printing.NEUTRAL


# Print jobs: progress, download, who may fetch, interruptions and failures


def _start(client, event, what="badges", **fields) -> Job:
    response = client.post(f"/organise/events/{event.slug}/print/start/", {"what": what, **fields})
    assert response.status_code == 302
    return Job.objects.get(pk=response["Location"].split("/")[-2])


@pytest.fixture
def many(event, monkeypatch):
    """17 confirmed people printed one sheet a part: five parts (and a join) to watch go by."""
    monkeypatch.setattr(printing, "SHEETS_PER_RENDER", 1)
    return [person(event, f"Person {n:02d}", f"Organisation {n}") for n in range(17)]


def test_the_job_page_says_how_far_without_javascript_then_offers_the_file(organiser_client, event, many,
                                                                           monkeypatch):
    from pledgecard.core import jobs
    from pledgecard.events import print_jobs

    job = _start(organiser_client, event)
    page = organiser_client.get(f"/organise/jobs/{job.pk}/").content.decode()
    assert "Waiting to start" in page and f'href="/organise/jobs/{job.pk}/"' in page  # refresh by a link
    seen = []
    real = printing.html_to_pdf

    def watched(documents):  # the page as the organiser sees it between two parts
        seen.append(organiser_client.get(f"/organise/jobs/{job.pk}/").content.decode())
        return real(documents)

    monkeypatch.setattr(printing, "html_to_pdf", watched)
    assert jobs.jobs_run_due() == 1
    assert len(seen) == 5
    assert "Working on it" in seen[2] and "Made sheets 2 of 5" in seen[2] and "2 of 6 (33%)" in seen[2]
    assert '<progress id="job-progress" max="100" value="33"' in seen[2]
    page = organiser_client.get(f"/organise/jobs/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and "is ready" in page
    assert f"/organise/events/{event.slug}/print/files/{job.pk}/" in page and "Download badges (PDF," in page
    response = organiser_client.get(job.result["next_url"])
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}-badges.pdf"'
    reader = pdf(response)
    assert len(reader.pages) == 5 and "Person 16" in text_of(reader)
    assert [p.name for p in print_jobs.print_folder(job.pk).iterdir()] == [f"{event.slug}-badges.pdf"]


def test_only_organisers_of_the_events_alliance_see_the_job_or_fetch_its_file(organiser_client, event,
                                                                             people):
    from pledgecard.core.models import Alliance, Membership

    response = printed(organiser_client, event, "postcards")
    assert response.status_code == 200
    job = Job.objects.get()
    download = job.result["next_url"]
    elsewhere = Alliance.objects.create(name="Elsewhere", slug="elsewhere", contact_email="e@example.org")
    stranger = Client()
    stranger.force_login(make_organiser(elsewhere, "stranger@example.org"))
    assert stranger.get(f"/organise/jobs/{job.pk}/").status_code == 403
    assert stranger.get(download).status_code == 403
    # Their own event's address with this job's id: not their job, so no such file.
    theirs = Event.objects.create(alliance=elsewhere, slug="theirs", title="Theirs", date=dt.date(2030, 1, 1))
    assert stranger.get(f"/organise/events/{theirs.slug}/print/files/{job.pk}/").status_code == 404
    facilitator = Client()
    facilitator.force_login(make_organiser(event.alliance, "facilitator@example.org", role=Role.FACILITATOR))
    assert facilitator.get(download).status_code == 403
    assert Client().get(download).status_code == 302  # sign in first
    # The organiser who started it, once no longer an organiser of the alliance, cannot fetch it either.
    Membership.objects.filter(user=job.started_by).update(role=Role.FACILITATOR)
    assert organiser_client.get(download).status_code == 403
    assert organiser_client.get(f"/organise/events/{event.slug}/print/files/not-a-uuid/").status_code == 404


def test_a_worker_killed_mid_job_leaves_it_to_the_next_which_carries_on(organiser_client, event, many,
                                                                         monkeypatch):
    """kill -9 half-way: nothing runs the job's end, the lease runs out, the next worker finishes it, making
    only the parts not yet written (and none twice), and the file is whole."""
    from django.utils import timezone

    from pledgecard.core import jobs
    from pledgecard.events import print_jobs

    class Killed(BaseException):  # not an Exception: nothing in the job framework catches it, like SIGKILL
        pass

    job = _start(organiser_client, event)
    rendered = []
    real = printing.html_to_pdf

    def dies_in_the_third_part(documents):
        rendered.append(documents[0])
        if len(rendered) == 3:
            # half a file written when the process died
            (print_jobs.print_folder(job.pk) / "part-0003-half.pdf.tmp").write_bytes(b"%PDF-1.7 half")
            raise Killed
        return real(documents)

    monkeypatch.setattr(printing, "html_to_pdf", dies_in_the_third_part)
    with pytest.raises(Killed):
        jobs.jobs_run_due()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.done == 2
    page = organiser_client.get(f"/organise/jobs/{job.pk}/").content.decode()
    assert "Working on it" in page and "2 of 6" in page
    assert jobs.jobs_run_due() == 0  # its lease still holds: nobody else takes it over yet
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    monkeypatch.setattr(printing, "html_to_pdf", lambda documents: (rendered.append(documents[0]),
                                                                     real(documents))[1])
    assert jobs.jobs_run_due() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert len(rendered) == 3 + 3  # parts 1 and 2 were kept; 3 (cut off), 4 and 5 made after the restart
    reader = pdf(organiser_client.get(job.result["next_url"]))
    assert len(reader.pages) == 5
    assert text_of(reader).count("Person ") == 17
    assert_accessible(reader, "Badges – Test event")
    assert len(list(print_jobs.print_folder(job.pk).iterdir())) == 1  # the half-written part is gone


def test_parts_made_before_the_people_changed_are_not_mixed_into_the_file(organiser_client, event, many,
                                                                           monkeypatch):
    from django.utils import timezone

    from pledgecard.core import jobs

    job = _start(organiser_client, event)
    real, calls = printing.html_to_pdf, []

    def interrupted(documents):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(documents)

    monkeypatch.setattr(printing, "html_to_pdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        jobs.jobs_run_due()
    person(event, "Aaron Early", "New Org")  # first in name order: every sheet moves on by one
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert jobs.jobs_run_due() == 1
    job.refresh_from_db()
    text = text_of(pdf(organiser_client.get(job.result["next_url"])))
    assert text.count("Person ") == 17 and "Aaron Early" in text
    assert len(calls) == 3 + 5  # the two parts made before the change were made again


def test_a_part_that_fails_stops_the_job_with_a_clear_message(organiser_client, event, many, monkeypatch):
    from pledgecard.core import jobs
    from pledgecard.events import print_jobs

    job = _start(organiser_client, event)
    real = printing.html_to_pdf
    calls = []

    def fails_on_part_two(documents):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("WeasyPrint could not lay this out")
        return real(documents)

    monkeypatch.setattr(printing, "html_to_pdf", fails_on_part_two)
    assert jobs.jobs_run_due() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    response = organiser_client.get(f"/organise/jobs/{job.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Part 2 of 5 (sheets 2 to 2) could not be made" in page and "start the printing again" in page
    assert f'href="/organise/events/{event.slug}/print/"' in page  # "Start again" goes back to the print page
    assert "Correct these rows" not in page
    assert organiser_client.get(f"/organise/events/{event.slug}/print/files/{job.pk}/").status_code == 404
    # Started again, it finishes.
    monkeypatch.setattr(printing, "html_to_pdf", real)
    assert len(pdf(printed(organiser_client, event, "badges")).pages) == 5
    assert print_jobs.print_folder(job.pk).exists()  # the failed job's parts wait for the periodic cleanup


def test_print_files_are_deleted_after_a_while(organiser_client, event, people, settings):
    from django.utils import timezone

    from pledgecard.events import print_jobs

    settings.PLEDGECARD_PRINT_KEPT_HOURS = 2
    printed(organiser_client, event, "badges")
    job = Job.objects.get()
    download = job.result["next_url"]
    orphan = print_jobs.print_folder("0b7c6c8e-4d0e-4a8e-9f65-3c1d8c1f0c2a")
    orphan.mkdir(parents=True)
    assert print_jobs.print_files_forget() == 1  # the folder of no job; the fresh file stays
    assert organiser_client.get(download).status_code == 200
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=3))
    response = organiser_client.get(download)
    assert response.status_code == 404 and "deleted 2 hours after" in response.content.decode()
    assert print_jobs.print_files_forget() == 1
    assert not print_jobs.print_folder(job.pk).exists()
    assert "pledgecard.events.print_jobs.print_files_forget" in settings.PLEDGECARD_PERIODIC_JOBS


def test_room_lists_and_blank_postcards_are_print_jobs_too(organiser_client, event, placed):
    reader = pdf(printed(organiser_client, event, "room_lists"))
    text = text_of(reader)
    assert "Housing and health" in text and "Schools as hubs" in text and "Amina Hussain" in text
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert AuditEntry.objects.filter(action="print.room_lists").exists()
    placements = organiser_client.get(f"/organise/events/{event.slug}/workshops/placements/").content.decode()
    assert 'name="what" value="room_lists"' in placements


def test_qr_codes_are_segnos_own_with_its_choice_of_mask(monkeypatch):
    """events/qr.py makes the error correction, places the codewords and scores the eight masks in numpy:
    every code must be module for module segno's."""
    import random
    import uuid

    from segno import encoder

    from pledgecard.events import qr

    rng = random.Random(12)  # noqa: S311 - made-up ids, the same every run
    urls = [f"{settings.SITE_URL}/organise/events/e{n}/check-in/{uuid.UUID(int=rng.getrandbits(128))}/"
            for n in range(100)] + ["x" * n for n in range(1, 200, 9)] + ["https://example.org/" + "é" * 40]
    assert encoder.find_and_apply_best_mask is qr.find_and_apply_best_mask
    assert encoder.add_codewords is qr.add_codewords
    assert encoder.make_final_message is qr.make_final_message
    ours = [segno.make(url, error="m", micro=False) for url in urls]
    for name, segnos in qr.SEGNO.items():
        monkeypatch.setattr(encoder, name, segnos)
    theirs = [segno.make(url, error="m", micro=False) for url in urls]
    assert len({code.mask for code in theirs}) >= 6  # the choice varies: the scores are really compared
    for url, a, b in zip(urls, ours, theirs, strict=True):
        assert (a.mask, a.version, a.matrix) == (b.mask, b.version, b.matrix), url
    assert segno.make("M1", micro=True).is_micro  # Micro QR codes: left to segno


CHILD_WORKER = """
import time, django
django.setup()
from pledgecard.core import jobs
from pledgecard.events import printing
printing.SHEETS_PER_RENDER = 1
real = printing.html_to_pdf
printing.html_to_pdf = lambda documents: (time.sleep(0.4), real(documents))[1]  # slow enough to be killed
jobs.jobs_run_due()
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_killed_with_sigkill_mid_job_is_carried_on_by_the_next(event, organiser, settings,
                                                                             monkeypatch, tmp_path):
    """A worker process running the job gets kill -9 after two parts; the next worker (here, this process)
    takes the job over when the lease runs out, keeps the two parts and makes the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.utils import timezone

    from pledgecard.core import jobs
    from pledgecard.events import print_jobs

    from .test_delivery_reliability import ROOT, subprocess_database_url

    monkeypatch.setattr(printing, "SHEETS_PER_RENDER", 1)
    for n in range(20):
        person(event, f"Person {n:02d}", f"Organisation {n}")
    client = Client()
    client.force_login(organiser)
    job = _start(client, event)
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(),
           "PLEDGECARD_MEDIA_ROOT": settings.MEDIA_ROOT, "DJANGO_SETTINGS_MODULE": "pledgecard.settings",
           "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-c", CHILD_WORKER], cwd=ROOT, env=env,  # noqa: S603
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while Job.objects.get(pk=job.pk).done < 2:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the worker made no progress: " + log.read_text()
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and 2 <= job.done < 5, log.read_text()
    kept = {p.name for p in print_jobs.print_folder(job.pk).glob("part-*.pdf")}
    assert len(kept) >= 2
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    renders = []
    real = printing.html_to_pdf
    monkeypatch.setattr(printing, "html_to_pdf", lambda documents: (renders.append(1), real(documents))[1])
    assert jobs.jobs_run_due() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert len(renders) == 5 - len(kept)  # only the parts the killed worker had not finished
    reader = pdf(client.get(job.result["next_url"]))
    assert len(reader.pages) == 5 and text_of(reader).count("Person ") == 20
    assert_accessible(reader, "Badges – Test event")
